import type { ReactNode } from 'react';
import type { Membership } from '../api/types.js';
import { setQuery, useLocation } from '../router/router.js';
import { SelectField } from './form.js';

/**
 * Chooses which of the person's organisations a page shows, kept in the URL
 * (`?org=<id>`) so the choice survives a reload and can be bookmarked. With a
 * single membership there is nothing to choose and no control is shown.
 */
export function OrganisationPicker({
  memberships,
  children,
}: {
  readonly memberships: readonly Membership[];
  readonly children: (membership: Membership) => ReactNode;
}) {
  const { query } = useLocation();
  const first = memberships[0];
  if (first === undefined) return null;
  const selected = memberships.find((m) => m.organisation.id === query.get('org')) ?? first;
  return (
    <>
      {memberships.length > 1 ? (
        <SelectField
          label="Organisation"
          className="narrow"
          value={selected.organisation.id}
          onChange={(event) => {
            const next = new URLSearchParams(query);
            next.set('org', event.target.value);
            setQuery(next);
          }}
        >
          {memberships.map((m) => (
            <option key={m.organisation.id} value={m.organisation.id}>
              {m.organisation.name}
            </option>
          ))}
        </SelectField>
      ) : null}
      {children(selected)}
    </>
  );
}
