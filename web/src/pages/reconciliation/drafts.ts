// Notes being typed, per row and action, kept for the browser tab's life (sessionStorage): closing
// the dialog, a failed request, the API going away or a reload never loses a half-typed note.
const key = (rowId: string, action: string) => `flowstate.note.${action}.${rowId}`;

export const drafts = {
  get: (rowId: string, action: string) => sessionStorage.getItem(key(rowId, action)) ?? '',
  set: (rowId: string, action: string, text: string) => {
    if (text) sessionStorage.setItem(key(rowId, action), text); else sessionStorage.removeItem(key(rowId, action));
  },
  clear: (rowId: string, action: string) => sessionStorage.removeItem(key(rowId, action)),
};
