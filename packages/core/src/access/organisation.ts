/**
 * A manufacturer organisation makes the devices; the care organisations it
 * serves (hospitals, clinics, studies) use them. Each is its own tenant: data
 * and people of one are invisible to the others unless a person is a member.
 */
export const ORGANISATION_KINDS = ['manufacturer', 'care'] as const;
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number];

export interface Organisation {
  readonly id: string;
  readonly kind: OrganisationKind;
  readonly name: string;
  /** For a care organisation: the manufacturer that serves it. */
  readonly manufacturerId: string | null;
  readonly createdAt: number;
}
