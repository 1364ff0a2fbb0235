import { useMemo, useState } from 'react';
import * as Ariakit from '@ariakit/react';

export type ProjectOption = { id: string; name: string };

/** A searchable project picker (an ARIA combobox): type to narrow, arrows and Enter to choose. */
export function ProjectPicker({ label, projects, disabled, onPick }: {
  label: string; projects: ProjectOption[]; disabled?: boolean; onPick: (project: ProjectOption) => void;
}) {
  const [value, setValue] = useState('');
  const matches = useMemo(() => {
    const q = value.trim().toLowerCase();
    return (q ? projects.filter(p => p.name.toLowerCase().includes(q) || p.id.toLowerCase().includes(q)) : projects).slice(0, 50);
  }, [value, projects]);
  return (
    <Ariakit.ComboboxProvider value={value} setValue={setValue} resetValueOnHide>
      <Ariakit.Combobox className="combo" placeholder="Choose a project…" aria-label={label} disabled={disabled} autoSelect />
      <Ariakit.ComboboxPopover className="combo-popover" gutter={4} sameWidth portal unmountOnHide aria-label={`Projects for ${label.toLowerCase()}`}>
        {matches.map(p => (
          <Ariakit.ComboboxItem key={p.id} className="combo-item" value={p.name} onClick={() => onPick(p)}>{p.name}</Ariakit.ComboboxItem>
        ))}
        {matches.length === 0 && <div className="combo-item muted">No project matches “{value}”</div>}
      </Ariakit.ComboboxPopover>
    </Ariakit.ComboboxProvider>
  );
}
