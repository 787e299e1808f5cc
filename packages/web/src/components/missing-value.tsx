/**
 * An empty table cell's dash on screen, in words for screen readers (which
 * would read a lone dash as nothing, or as "em dash").
 */
export function MissingValue({ label }: { readonly label: string }) {
  return (
    <>
      <span className="muted" aria-hidden="true">
        —
      </span>
      <span className="visually-hidden">{label}</span>
    </>
  );
}
