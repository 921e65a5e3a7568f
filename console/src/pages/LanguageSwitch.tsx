import { setLang, useWords } from '../i18n';

export function LanguageSwitch() {
  const [w, lang] = useWords();
  return (
    <button
      type="button"
      class="lang"
      lang={lang === 'zh' ? 'en' : 'zh-CN'}
      title={w.languageLabel}
      onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}
    >
      {w.language}
    </button>
  );
}
