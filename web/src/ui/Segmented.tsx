import { useId } from 'react';

/** A one-of-several choice as native radio buttons in a fieldset (arrow keys move, the legend names it). */
export function Segmented<T extends string>({ legend, options, value, onChange }: {
  legend: string; options: { value: T; label: string; long?: string }[]; value: T; onChange: (value: T) => void;
}) {
  const name = useId();
  return (
    <fieldset className="segmented">
      <legend>{legend}</legend>
      {options.map(o => (
        <label key={o.value} title={o.long}>
          <input type="radio" name={name} value={o.value} checked={o.value === value} onChange={() => onChange(o.value)} />
          <span>{o.label}{o.long && o.long !== o.label && <span className="sr-only"> ({o.long})</span>}</span>
        </label>
      ))}
    </fieldset>
  );
}
