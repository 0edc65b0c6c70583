// Schema 8: covering indexes for opening a twin. The geometry manifest and the spatial tree read a
// few short columns of every element state and the sizes of every mesh; without these indexes each
// such read lands on the row itself, and an element state's row carries its canonical JSON (a few
// KB) and a mesh's its vertex and index blobs, so opening Office_A read some 6 MB of pages for
// ~100 KB of columns (the manifest query took ~9 ms; with them, see bench:import's reopen figure).
import type { Migration } from './types';

export const migration008: Migration = {
  version: 8,
  name: 'covering-indexes',
  sql: `
    CREATE INDEX element_states_summary ON element_states(
      state_hash, global_id, ifc_class, name, parent_global_id, storey_global_id, is_spatial, geometry_hash
    );
    CREATE INDEX geometries_sizes ON geometries(hash, vertex_count, index_count);
  `,
};
