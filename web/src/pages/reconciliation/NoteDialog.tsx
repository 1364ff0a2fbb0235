import { useId, useState, type FormEvent } from 'react';
import * as Ariakit from '@ariakit/react';
import type { InboxRowFragment } from '../../gql/graphql';
import type { Problem } from '../../api/errors';
import { money } from '../../app/format';
import { drafts } from './drafts';

export type NoteAction = 'WRITE_OFF' | 'REOPEN' | 'CONFIRM';

const copy: Record<NoteAction, { title: string; submit: string; help: string }> = {
  WRITE_OFF: { title: 'Write off row', submit: 'Write off', help: 'Why this row will not be matched. The note stays on the row’s audit trail.' },
  REOPEN: { title: 'Reopen row', submit: 'Reopen', help: 'Why the row goes back to unreconciled. The note stays on the row’s audit trail.' },
  CONFIRM: {
    title: 'Confirm against the contract', submit: 'Confirm',
    help: 'This provider sends no telemetry, so nothing can be matched: say on what basis the bill is right (a contract, a retainer, a fixed fee). The note stays on the row’s audit trail.',
  },
};

/**
 * The note dialog of a write-off, a reopen or a confirmation against the contract: the Note is required (the button stays disabled while
 * it is blank), what is typed is kept as a draft until the action succeeds, and focus goes back to
 * the row when the dialog closes.
 */
export function NoteDialog({ row, action, providerName, finalFocus, onClose, onSubmit }: {
  row: InboxRowFragment;
  action: NoteAction;
  providerName: string;
  finalFocus: HTMLElement | null;
  onClose: () => void;
  /** Resolves to null on success (the dialog closes) or to the problem to show. */
  onSubmit: (note: string) => Promise<Problem | null>;
}) {
  const [note, setNote] = useState(() => drafts.get(row.id, action));
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const noteId = useId();
  const { title, submit, help } = copy[action];

  async function send(e: FormEvent) {
    e.preventDefault();
    if (!note.trim() || busy) return;
    setBusy(true);
    setProblem(null);
    const result = await onSubmit(note.trim());
    setBusy(false);
    if (result) setProblem(result);
    else { drafts.clear(row.id, action); onClose(); }
  }

  return (
    <Ariakit.Dialog open onClose={onClose} finalFocus={finalFocus ?? undefined} className="dialog"
                    backdrop={<div className="backdrop" />}>
      <Ariakit.DialogHeading className="dialog-title">{title}</Ariakit.DialogHeading>
      <Ariakit.DialogDescription className="dialog-row">
        {providerName} · {row.subject?.name ?? row.account ?? row.subjectKey ?? 'unknown subject'} · {row.usageDate} · billed {money(row.totalCostUsd)}
      </Ariakit.DialogDescription>
      <form onSubmit={send}>
        <label htmlFor={noteId}>Note <span className="muted">(required)</span></label>
        <textarea id={noteId} value={note} rows={4} required aria-required="true" autoFocus
                  aria-describedby={`${noteId}-help${problem ? ` ${noteId}-error` : ''}`}
                  onChange={e => { setNote(e.target.value); drafts.set(row.id, action, e.target.value); }} />
        <p id={`${noteId}-help`} className="help">{help}</p>
        {problem && <p id={`${noteId}-error`} className="error" role="alert">{problem.message}</p>}
        <div className="dialog-actions">
          <Ariakit.DialogDismiss className="btn">Cancel</Ariakit.DialogDismiss>
          <button type="submit" className="btn btn-primary" disabled={!note.trim() || busy}>{busy ? `${submit}…` : submit}</button>
        </div>
      </form>
    </Ariakit.Dialog>
  );
}
