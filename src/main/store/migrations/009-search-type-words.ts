// Schema 9: search matches an element's type object too (its name and property values: a door's
// fire rating is often set on its IfcDoorType), as ifc/search-text.ts now derives it. The states
// stored before get those words appended, one per line, lower-cased, from their canonical JSON: the
// same words searchTextOf gives (a number and a boolean as their JSON text, which the canonical JSON
// wrote as JavaScript does; a number's SQL value would be printed with other digits).
import type { Migration } from './types';

export const migration009: Migration = {
  version: 9,
  name: 'search-type-words',
  sql: `
    UPDATE element_states
    SET search_text = search_text || lower(
      coalesce((
        SELECT group_concat(char(10) || word, '')
        FROM (
          SELECT CASE json_type(p.value, '$.value')
                   WHEN 'text' THEN p.value ->> '$.value'
                   ELSE p.value -> '$.value' END AS word
          FROM json_each(element_states.canonical, '$.type.propertySets') ps,
               json_each(ps.value, '$.properties') p
          WHERE json_type(p.value, '$.value') IN ('text', 'integer', 'real', 'true', 'false')
          UNION ALL
          SELECT element_states.canonical ->> '$.type.name'
        )
        WHERE word IS NOT NULL AND word <> ''
      ), '')
    )
    WHERE json_type(canonical, '$.type') = 'object';
  `,
};
