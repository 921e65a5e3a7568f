// Simplified Chinese first, English alongside; the choice is kept in the
// browser. Words the core gives (action labels, countdowns, summaries) come
// from the server in both languages and are not repeated here.

import { useEffect, useState } from 'preact/hooks';

export type Lang = 'zh' | 'en';

const zh = {
  appName: '网格通 指挥中心',
  signInTitle: '登录指挥中心',
  account: '账号',
  password: '密码',
  signIn: '登录',
  haveCode: '用激活码开通账号',
  haveAccount: '已有账号，直接登录',
  code: '激活码',
  newPassword: '设置密码（至少10个字符）',
  claim: '开通并登录',
  signOut: '退出登录',
  signOutEverywhere: '在所有设备上退出',
  language: 'English',
  languageLabel: '切换到英文',
  navCases: '事件',
  navDevices: '设备',
  navEscalations: '督办',
  escalationsTitle: '督办',
  escalatedToMe: '升级到我这里、尚未办结的事件',
  noEscalated: '没有升级到您这里的未办结事件',
  messages: '消息',
  unread: (n: number) => `${n} 条未读`,
  unreadMark: '未读',
  noMessages: '没有消息',
  devicesTitle: '设备与激活码',
  newCode: '生成激活码',
  codeFor: '为账号生成（如 w-440399-001-001-01-1）',
  make: '生成',
  codeShown: '激活码（仅显示一次，7天内有效）',
  expires: '有效期至',
  print: '打印',
  qrAlt: (code: string) => `激活二维码，激活码 ${code}`,
  colDevice: '设备',
  colPerson: '账号',
  colActivated: '激活时间',
  colLastSeen: '最近联系',
  colStatus: '状态',
  inUse: '在用',
  revokedAt: (t: string) => `已停用（${t}）`,
  revoke: '停用',
  revokeConfirm: '确认停用？此手机下次联网时会被拒绝并清除本机数据。',
  revokeYes: '确认停用',
  never: '从未',
  casesTitle: '事件看板',
  openOnly: '只看未办结',
  stateFilter: '状态',
  all: '全部',
  colTitle: '事件',
  colState: '状态',
  colGrid: '网格',
  colDeadline: '时限',
  colLevel: '升级',
  noCases: '没有符合条件的事件',
  loading: '加载中…',
  back: '返回事件看板',
  reporter: '上报人',
  handler: '处置人',
  household: '住户',
  timeline: '处置记录',
  chainOk: '记录链校验通过，未被篡改',
  chainBroken: '记录链校验失败',
  actions: '可执行操作',
  noActions: '您当前不能对此事件操作',
  submit: '确定',
  cancel: '取消',
  done: '已完成',
  note: '说明',
  reason: '理由（必填）',
  message: '督办内容',
  chooseHandler: '选择处置人',
  days: '延期天数',
  difficulty: '难度',
  normal: '一般',
  hard: '疑难',
  level: (n: number): string => (n === 0 ? '未升级' : n === 1 ? '已升级至乡镇' : '已升级至市级'),
  description: '描述',
  pendingExtension: '待批延期',
  extensionAsked: (days: number, reason: string) => `申请延期 ${days} 天：${reason}`,
  signedInAs: '当前用户',
  roles: {
    grid_worker: '网格员',
    village_secretary: '村(社区)书记',
    township_supervisor: '乡镇督导',
    city_supervisor: '市督导',
    administrator: '管理员',
  },
  states: {
    reported: '已上报',
    filed: '已立案',
    dispatched: '已派遣',
    in_progress: '处置中',
    resolved: '待核查',
    confirmed: '已核查',
    closed: '已结案',
    dismissed: '不予立案',
  },
};

type Words = typeof zh;

const en: Words = {
  appName: 'Gridwork Console',
  signInTitle: 'Sign in to the console',
  account: 'Account',
  password: 'Password',
  signIn: 'Sign in',
  haveCode: 'Open an account with an activation code',
  haveAccount: 'I have an account: sign in',
  code: 'Activation code',
  newPassword: 'Choose a password (at least 10 characters)',
  claim: 'Open account and sign in',
  signOut: 'Sign out',
  signOutEverywhere: 'Sign out everywhere',
  language: '中文',
  languageLabel: 'Switch to Chinese',
  navCases: 'Cases',
  navDevices: 'Devices',
  navEscalations: 'Escalations',
  escalationsTitle: 'Escalations',
  escalatedToMe: 'Open cases escalated to me',
  noEscalated: 'No open case is escalated to you',
  messages: 'Messages',
  unread: (n: number) => `${n} unread`,
  unreadMark: 'Unread',
  noMessages: 'No messages',
  devicesTitle: 'Devices and activation codes',
  newCode: 'Make an activation code',
  codeFor: 'For account (e.g. w-440399-001-001-01-1)',
  make: 'Make',
  codeShown: 'Activation code (shown once, valid for 7 days)',
  expires: 'Valid until',
  print: 'Print',
  qrAlt: (code: string) => `Activation QR code for code ${code}`,
  colDevice: 'Device',
  colPerson: 'Account',
  colActivated: 'Activated',
  colLastSeen: 'Last contact',
  colStatus: 'Status',
  inUse: 'In use',
  revokedAt: (t: string) => `Revoked (${t})`,
  revoke: 'Revoke',
  revokeConfirm: 'Revoke it? This phone is refused at its next contact and wipes its data.',
  revokeYes: 'Revoke now',
  never: 'Never',
  casesTitle: 'Case board',
  openOnly: 'Open cases only',
  stateFilter: 'State',
  all: 'All',
  colTitle: 'Case',
  colState: 'State',
  colGrid: 'Grid',
  colDeadline: 'Deadline',
  colLevel: 'Escalation',
  noCases: 'No cases match',
  loading: 'Loading…',
  back: 'Back to the case board',
  reporter: 'Reported by',
  handler: 'Handler',
  household: 'Household',
  timeline: 'Timeline',
  chainOk: 'History verified: nothing was altered',
  chainBroken: 'History does not verify',
  actions: 'Actions',
  noActions: 'You cannot act on this case now',
  submit: 'Submit',
  cancel: 'Cancel',
  done: 'Done',
  note: 'Note',
  reason: 'Reason (required)',
  message: 'Message to the handler',
  chooseHandler: 'Choose a handler',
  days: 'Days of extension',
  difficulty: 'Difficulty',
  normal: 'Normal',
  hard: 'Hard',
  level: (n: number) => (n === 0 ? 'Not escalated' : n === 1 ? 'Township' : 'City'),
  description: 'Description',
  pendingExtension: 'Extension asked',
  extensionAsked: (days: number, reason: string) => `${days} more days: ${reason}`,
  signedInAs: 'Signed in as',
  roles: {
    grid_worker: 'Grid worker',
    village_secretary: 'Village secretary',
    township_supervisor: 'Township supervisor',
    city_supervisor: 'City supervisor',
    administrator: 'Administrator',
  },
  states: {
    reported: 'Reported',
    filed: 'Filed',
    dispatched: 'Dispatched',
    in_progress: 'In progress',
    resolved: 'Awaiting confirmation',
    confirmed: 'Confirmed',
    closed: 'Closed',
    dismissed: 'Dismissed',
  },
};

const KEY = 'gridwork.console.lang';
const listeners = new Set<(l: Lang) => void>();
let current: Lang = localStorage.getItem(KEY) === 'en' ? 'en' : 'zh';

export function words(lang: Lang = current): Words {
  return lang === 'en' ? en : zh;
}

export function setLang(lang: Lang): void {
  current = lang;
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  listeners.forEach((f) => f(lang));
}

/** The words in the chosen language; re-renders when it changes. */
export function useWords(): [Words, Lang] {
  const [lang, setState] = useState<Lang>(current);
  useEffect(() => {
    listeners.add(setState);
    return () => {
      listeners.delete(setState);
    };
  }, []);
  return [words(lang), lang];
}

/** An action's or label's words in the chosen language. */
export function pick(lang: Lang, zhText: string, enText: string): string {
  return lang === 'en' ? enText : zhText;
}
