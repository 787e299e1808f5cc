import { Option } from 'commander';

/** The options of a command that acts in one organisation. */
export interface OrgOption {
  readonly org?: string;
}

/** `--org <id>`; `OperatorSession.organisation` turns its absence into the manufacturer. */
export const orgOption = () =>
  new Option('--org <id>', 'Organisation id (default: the manufacturer)');
