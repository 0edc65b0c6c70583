// What search matches an element against: its name, description, object type, tag, GlobalId, class
// and every scalar property value, lower-cased, one per line. The importer and the conflict
// resolver (which writes rebased states) both store it, so they must derive it the same way.
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
  for (const set of state.propertySets)
    for (const p of set.properties)
      if (p.value !== null && typeof p.value !== 'object') words.push(String(p.value));
  return words
    .filter((w) => w)
    .join('\n')
    .toLowerCase();
}
