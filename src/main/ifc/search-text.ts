// What search matches an element against: its name, description, object type, tag, GlobalId, class,
// every scalar property value, and its type object's name and property values (a door's fire rating
// is often set on its IfcDoorType), lower-cased, one per line. The importer and the conflict
// resolver (which writes rebased states) both store it, so they must derive it the same way
// (migration 009 added the type's words to the rows stored before).
import type { ElementState } from '../../shared/fingerprint';

export function searchTextOf(state: ElementState): string {
  const words: (string | null)[] = [
    state.name,
    state.description,
    state.objectType,
    state.tag,
    state.globalId,
    state.ifcClass,
  ];
  for (const set of [...state.propertySets, ...(state.type?.propertySets ?? [])])
    for (const p of set.properties)
      if (p.value !== null && typeof p.value !== 'object') words.push(String(p.value));
  if (state.type) words.push(state.type.name);
  return words
    .filter((w) => w)
    .join('\n')
    .toLowerCase();
}
