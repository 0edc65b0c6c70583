// The UI theme: the `theme` setting resolved to light or dark ('system' follows the OS's
// prefers-color-scheme, live) and put on <html> as data-theme, where styles/app.css switches every
// colour variable and color-scheme (native controls, scrollbars). The setting is settings.get's,
// read again on each settings.changed (useQuery). The last preference is remembered in
// localStorage and applied before the first render (main's answer corrects a stale one); without
// one, the workspace waits for that answer (up to SETTINGS_WAIT_MS) rather than show itself first in
// the other theme. What paints outside CSS (the 3D view's background and grid) reads the resolved
// theme with useTheme().
import {
  createContext,
  useContext,
  useEffect,
  useLayoutEffect,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import { useQuery } from './api-context';
import { Theme, type Settings } from '../../shared/api/app';

type ThemePreference = Settings['theme'];
export type ResolvedTheme = 'light' | 'dark';

const STORAGE_KEY = 'twinledger.theme';
const DARK_QUERY = '(prefers-color-scheme: dark)';
/** How long the workspace waits for main's settings when no preference is remembered. */
const SETTINGS_WAIT_MS = 1500;

function systemTheme(): ResolvedTheme {
  return window.matchMedia(DARK_QUERY).matches ? 'dark' : 'light';
}

function onSystemThemeChange(listener: () => void): () => void {
  const query = window.matchMedia(DARK_QUERY);
  query.addEventListener('change', listener);
  return () => query.removeEventListener('change', listener);
}

function resolveTheme(preference: ThemePreference, system: ResolvedTheme): ResolvedTheme {
  return preference === 'system' ? system : preference;
}

function applyTheme(theme: ResolvedTheme): void {
  document.documentElement.dataset.theme = theme;
}

/** The preference last seen (null: none, or storage unavailable). */
function rememberedPreference(): ThemePreference | null {
  try {
    return Theme.safeParse(window.localStorage.getItem(STORAGE_KEY)).data ?? null;
  } catch {
    return null;
  }
}

function remember(preference: ThemePreference): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, preference);
  } catch {
    // storage unavailable: the next start waits for main's settings instead
  }
}

/** Puts the remembered (or the OS's) theme on the page; main.tsx calls it before rendering. */
export function applyRememberedTheme(): void {
  applyTheme(resolveTheme(rememberedPreference() ?? 'system', systemTheme()));
}

const ThemeContext = createContext<ResolvedTheme | null>(null);

/** The theme in force: 'light' or 'dark'. */
export function useTheme(): ResolvedTheme {
  const theme = useContext(ThemeContext);
  if (!theme) throw new Error('useTheme outside ThemeProvider');
  return theme;
}

export function ThemeProvider({ children }: { children: ReactNode }) {
  const [remembered] = useState(rememberedPreference);
  const settings = useQuery('settings.get', {}, 'settings.changed');
  const preference = settings.state === 'ready' ? settings.value.theme : null;
  // Until main answers: the remembered preference, if any, else the workspace waits a little.
  const [timedOut, setTimedOut] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setTimedOut(true), SETTINGS_WAIT_MS);
    return () => clearTimeout(timer);
  }, []);
  const waited = remembered !== null || settings.state !== 'loading' || timedOut;
  const system = useSyncExternalStore(onSystemThemeChange, systemTheme);

  const theme = resolveTheme(preference ?? remembered ?? 'system', system);
  // Before the browser paints what this render committed.
  useLayoutEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    if (preference) remember(preference);
  }, [preference]);

  return <ThemeContext.Provider value={theme}>{waited ? children : null}</ThemeContext.Provider>;
}
