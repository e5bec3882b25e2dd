import { useEffect, useState } from 'preact/hooks';
import type { ConfigView, ValidationView } from '../api-types.js';
import { ApiError, call, cpath, get } from './api.js';
import { Message } from './widgets.js';

interface Entry {
  key: string;
  original: string;
  value: string;
  hidden: boolean;
  added: boolean;
  removed: boolean;
}

function entriesOf(view: ConfigView): Entry[] {
  return view.config
    .filter((c) => c.key !== 'name')
    .map((c) => ({
      key: c.key,
      original: c.value,
      value: c.hidden ? '' : c.value,
      hidden: c.hidden,
      added: false,
      removed: false,
    }));
}

/** What PATCH /connectors/{c}/config gets: changed and added keys with their values, removed keys as null. */
function patchOf(entries: Entry[]): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const e of entries) {
    const key = e.key.trim();
    if (!key) continue;
    if (e.removed) {
      if (!e.added) patch[key] = null;
    } else if (e.added) patch[key] = e.value;
    else if (e.hidden ? e.value !== '' : e.value !== e.original) patch[key] = e.value;
  }
  return patch;
}

/**
 * The connector's config as a form. Secrets arrive as `[hidden]` (the page never has them): left empty they keep
 * their value, typed over they are replaced. Saving validates the changed config first (Connect's validation) and
 * shows each message beside the key it names; only a config without errors is sent, as PATCH, so keys the page did
 * not touch stay exactly as stored.
 */
export function ConfigEditor({ name, onSaved }: { name: string; onSaved: () => void }) {
  const [view, setView] = useState<ConfigView | undefined>();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [note, setNote] = useState<{ kind: 'error' | 'info'; text: string } | undefined>();
  const [busy, setBusy] = useState(false);

  const load = async () => {
    const v = await get<ConfigView>(`/ui/api${cpath(name, '/config')}`);
    setView(v);
    setEntries(entriesOf(v));
    setErrors({});
  };
  useEffect(() => {
    load().catch((e: Error) => setNote({ kind: 'error', text: e.message }));
  }, [name]);

  const update = (i: number, change: Partial<Entry>) => {
    setEntries(entries.map((e, j) => (j === i ? { ...e, ...change } : e)));
  };

  const save = async () => {
    const patch = patchOf(entries);
    if (Object.keys(patch).length === 0) {
      setNote({ kind: 'info', text: 'Nothing changed.' });
      return;
    }
    setBusy(true);
    setNote(undefined);
    try {
      const v = await call<ValidationView>('PUT', `/ui/api${cpath(name, '/config/validate')}`, { patch });
      setErrors(v.errors);
      if (v.errorCount > 0) {
        setNote({
          kind: 'error',
          text: `Not saved: ${v.errorCount} problem${v.errorCount === 1 ? '' : 's'} (shown beside the keys).`,
        });
        return;
      }
      await call('PATCH', cpath(name, '/config'), patch);
      await load();
      setNote({ kind: 'info', text: 'Saved. The tasks restart with the new config.' });
      onSaved();
    } catch (e) {
      setNote({ kind: 'error', text: e instanceof ApiError ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };

  if (!view) return note ? <Message kind={note.kind}>{note.text}</Message> : <div class="muted">Loading…</div>;
  const shown = new Set(entries.filter((e) => !e.removed).map((e) => e.key.trim()));
  const elsewhere = Object.entries(errors).filter(([k]) => !shown.has(k));
  return (
    <div class="config-editor">
      {note ? <Message kind={note.kind}>{note.text}</Message> : null}
      {elsewhere.length ? (
        <ul class="errors-elsewhere">
          {elsewhere.map(([k, msgs]) => (
            <li data-error-for={k}>
              <code>{k}</code>: {msgs.join(' ')}
            </li>
          ))}
        </ul>
      ) : null}
      <table class="config">
        <tbody>
          {entries.map((e, i) =>
            e.removed ? null : (
              <tr data-key={e.key} class={errors[e.key.trim()]?.length ? 'has-error' : ''}>
                <td class="key">
                  {e.added ? (
                    <input
                      aria-label="new key"
                      value={e.key}
                      placeholder="key"
                      onInput={(ev) => update(i, { key: (ev.target as HTMLInputElement).value })}
                    />
                  ) : (
                    <code>{e.key}</code>
                  )}
                </td>
                <td class="value">
                  <input
                    aria-label={`value of ${e.key}`}
                    name={e.key}
                    value={e.value}
                    {...(e.hidden ? { type: 'password' as const } : { type: 'text' as const })}
                    placeholder={e.hidden ? '[hidden] – type to replace' : ''}
                    autocomplete="off"
                    onInput={(ev) => update(i, { value: (ev.target as HTMLInputElement).value })}
                  />
                  {(errors[e.key.trim()] ?? []).map((m) => (
                    <div class="field-error" data-error-for={e.key.trim()}>
                      {m}
                    </div>
                  ))}
                </td>
                <td class="remove">
                  <button type="button" title={`remove ${e.key}`} onClick={() => update(i, { removed: true })}>
                    ✕
                  </button>
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
      <div class="buttons">
        <button
          type="button"
          onClick={() =>
            setEntries([...entries, { key: '', original: '', value: '', hidden: false, added: true, removed: false }])
          }
        >
          Add a key
        </button>
        <button type="button" onClick={() => load().then(() => setNote(undefined))} disabled={busy}>
          Undo changes
        </button>
        <button type="button" class="primary" onClick={save} disabled={busy} data-action="save-config">
          {busy ? 'Checking…' : 'Validate and save'}
        </button>
      </div>
    </div>
  );
}
