// 设备: make a one-time activation code for a person (with the QR code the
// phone scans, printable), see every enrolled device and its last contact,
// and revoke a lost phone. Administrators only (the server refuses others).

import QRCode from 'qrcode';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { useWords } from '../i18n';
import type { ActivationCode, DeviceInfo } from '../types';

function when(t: string | null, lang: string, never: string): string {
  return t ? new Date(t).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN') : never;
}

function CodeMaker() {
  const [w, lang] = useWords();
  const [user, setUser] = useState('');
  const [code, setCode] = useState<ActivationCode | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function make(e: Event) {
    e.preventDefault();
    setError(null);
    setCode(null);
    try {
      const c = await api.post<ActivationCode>('/activation-codes', { user_id: user });
      setCode(c);
      setQr(await QRCode.toDataURL(c.qr, { margin: 1, width: 220 }));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err), null));
    }
  }

  return (
    <section aria-labelledby="new-code" class="panel">
      <h2 id="new-code">{w.newCode}</h2>
      <form class="inline-form" onSubmit={make}>
        <label>
          {w.codeFor}
          <input name="user_id" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary">
          {w.make}
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error.reason}
        </p>
      )}
      {code && (
        <div class="code-card" role="status">
          <p>
            {w.codeShown}：<strong class="code">{code.code}</strong>（{code.user_id}）
          </p>
          <p>
            {w.expires} {when(code.expires_at, lang, '')}
          </p>
          {qr && <img src={qr} width={220} height={220} alt={w.qrAlt(code.code)} />}
          <button type="button" class="no-print" onClick={() => print()}>
            {w.print}
          </button>
        </div>
      )}
    </section>
  );
}

function DeviceRow({ d, onRevoked }: { d: DeviceInfo; onRevoked: () => void }) {
  const [w, lang] = useWords();
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function revoke() {
    try {
      await api.post(`/devices/${encodeURIComponent(d.device_id)}/revoke`);
      onRevoked();
    } catch (err) {
      setError(err instanceof ApiError ? err.reason : String(err));
    }
  }
  return (
    <tr>
      <td>
        {d.name}
        <div class="muted">{d.device_id}</div>
      </td>
      <td>{d.user_id}</td>
      <td>{when(d.activated_at, lang, w.never)}</td>
      <td>{when(d.last_seen_at, lang, w.never)}</td>
      <td>{d.revoked_at ? w.revokedAt(when(d.revoked_at, lang, '')) : w.inUse}</td>
      <td>
        {!d.revoked_at &&
          (asking ? (
            <div role="group" aria-label={w.revokeConfirm}>
              <p>{w.revokeConfirm}</p>
              <button type="button" class="danger" onClick={revoke}>
                {w.revokeYes}
              </button>{' '}
              <button type="button" onClick={() => setAsking(false)}>
                {w.cancel}
              </button>
            </div>
          ) : (
            <button type="button" aria-label={`${w.revoke} ${d.name}`} onClick={() => setAsking(true)}>
              {w.revoke}
            </button>
          ))}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

export function Devices() {
  const [w] = useWords();
  const [devices, setDevices] = useState<DeviceInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () =>
    api
      .get<DeviceInfo[]>('/devices')
      .then(setDevices)
      .catch((e: unknown) => setError(e instanceof ApiError ? e.reason : String(e)));
  useEffect(() => {
    void load();
  }, []);
  return (
    <section aria-labelledby="devices-title">
      <h1 id="devices-title">{w.devicesTitle}</h1>
      <CodeMaker />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {devices === null && !error ? (
        <p aria-live="polite">{w.loading}</p>
      ) : (
        <table class="board no-print">
          <thead>
            <tr>
              <th scope="col">{w.colDevice}</th>
              <th scope="col">{w.colPerson}</th>
              <th scope="col">{w.colActivated}</th>
              <th scope="col">{w.colLastSeen}</th>
              <th scope="col">{w.colStatus}</th>
              <th scope="col">
                <span class="visually-hidden">{w.revoke}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(devices ?? []).map((d) => (
              <DeviceRow key={d.device_id} d={d} onRevoked={() => void load()} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
