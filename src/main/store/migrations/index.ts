// The ordered list of schema migrations. Add a file per change and append it here; never edit a
// migration that has shipped.
import { migration001 } from './001-twins-models-versions';
import { migration002 } from './002-chain-index';
import { migration003 } from './003-outbox';
import { migration004 } from './004-sensors';
import { migration005 } from './005-maintenance-index';
import { migration006 } from './006-draft-edits';
import { migration007 } from './007-source-files-beside';
import { migration008 } from './008-covering-indexes';
import { migration009 } from './009-search-type-words';
import { migration010 } from './010-element-claims';
import type { Migration } from './types';

export const migrations: readonly Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
  migration010,
];

/** Throws unless the migrations run 1, 2, 3... with no gap, repeat or reordering. */
export function checkMigrationsMonotonic(list: readonly Migration[]): void {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `Migration "${migration.name}" has version ${migration.version} at position ${index + 1}; ` +
          'migrations must be numbered 1, 2, 3... in order.',
      );
    }
  });
}

export type { Migration } from './types';
