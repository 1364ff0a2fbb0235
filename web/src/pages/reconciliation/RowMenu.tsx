// The inbox's Mark menu: ONE Ariakit menu for the whole table, opened from each row's plain Mark
// button. A MenuProvider and MenuButton per row cost about a quarter of the inbox's first render
// (50 stores, each button's focus, disclosure and popover hooks), the render that an in-app
// navigation to the inbox waits for; a plain button with the menu-button semantics costs nothing,
// and the shared menu is anchored to whichever button opened it.
import { useCallback, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import * as Ariakit from '@ariakit/react';
import type { InboxRowFragment } from '../../gql/graphql';

type Focus = 'container' | 'first' | 'last';

export type RowMenu = ReturnType<typeof useRowMenu>[0];

export function useRowMenu() {
  const store = Ariakit.useMenuStore({ placement: 'bottom-start' });
  // The row's id, not the row: the items read the row as it is now (a live update may have changed it).
  const [rowId, setRowId] = useState<string | null>(null);

  const show = useCallback((r: InboxRowFragment, button: HTMLElement, focus: Focus) => {
    setRowId(r.id);
    store.setDisclosureElement(button);
    store.setAnchorElement(button);
    // As Ariakit's own MenuButton does: a keyboard opening focuses an item, a pointer one the menu.
    store.setAutoFocusOnShow(true);
    store.setInitialFocus(focus);
    store.show();
  }, [store]);

  const toggle = useCallback((r: InboxRowFragment, button: HTMLElement, focus: Focus) => {
    const { open, disclosureElement } = store.getState();
    if (open && disclosureElement === button) store.hide();
    else show(r, button, focus);
  }, [store, show]);

  // Stable across renders, so the table's memoised cells can hold it.
  const menu = useMemo(() => ({ store, show, toggle }), [store, show, toggle]);
  return [menu, rowId] as const;
}

/** A row's Mark button: a real button that says it opens a menu, and whether that menu is open. */
export function MarkButton({ menu, row, disabled }: { menu: RowMenu; row: InboxRowFragment; disabled?: boolean }) {
  const ref = useRef<HTMLButtonElement>(null);
  // null while closed (or open on another row), else the id of the menu it controls.
  const controls = Ariakit.useStoreState(menu.store, s =>
    s.open && !!ref.current && s.disclosureElement === ref.current ? s.contentElement?.id ?? '' : null);
  const onClick = (e: MouseEvent<HTMLButtonElement>) => menu.toggle(row, e.currentTarget, e.detail === 0 ? 'first' : 'container');
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    menu.show(row, e.currentTarget, e.key === 'ArrowUp' ? 'last' : 'first');
  };
  return (
    <button ref={ref} type="button" className="btn" disabled={disabled} aria-haspopup="menu" aria-expanded={controls !== null}
            aria-controls={controls || undefined} onClick={onClick} onKeyDown={onKeyDown}>
      Mark <svg aria-hidden="true" viewBox="0 0 16 16" className="menu-arrow"><path d="M4 6l4 4 4-4" /></svg>
    </button>
  );
}

/** The menu itself, once per page, with the items for the row it was opened on. */
export function RowMenuPopover({ menu, label, children }: { menu: RowMenu; label: string; children: ReactNode }) {
  return (
    <Ariakit.Menu store={menu.store} portal unmountOnHide gutter={4} className="menu" aria-label={label}>
      {children}
    </Ariakit.Menu>
  );
}
