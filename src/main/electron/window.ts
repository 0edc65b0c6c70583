// The main window: secure web preferences, and its size, position and maximised state remembered
// between runs (and kept on a visible display if the monitors changed).
import { BrowserWindow, nativeTheme, screen, type Rectangle } from 'electron';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeFileDurably } from '../services/durable-file';
import type { Settings } from '../../shared/api/app';
import type { Logger } from '../services/logger';
import type { RendererLocation } from './security';

const WindowState = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(400),
  height: z.number().int().min(300),
  maximized: z.boolean(),
});
type WindowState = z.infer<typeof WindowState>;

export interface MainWindowOptions {
  dataDir: string;
  preload: string;
  location: RendererLocation;
  logger: Logger;
  /** The `theme` setting: the window's own colour (shown before the page paints, and on resizes). */
  theme: Settings['theme'];
}

/** The page's background (styles/app.css --bg) in each theme. */
const WINDOW_BACKGROUND = { dark: '#14171c', light: '#ffffff' } as const;

/** The window's colour for the `theme` setting ('system': the OS's, as the page resolves it). */
export function windowBackground(theme: Settings['theme']): string {
  return WINDOW_BACKGROUND[theme === 'system' ? (nativeTheme.shouldUseDarkColors ? 'dark' : 'light') : theme];
}

/** Keeps a remembered window only if it still overlaps a display the user has now. */
export function visibleBounds(saved: WindowState, displays: Rectangle[]): Rectangle | null {
  const overlaps = displays.some(
    (d) =>
      saved.x < d.x + d.width - 50 &&
      saved.x + saved.width > d.x + 50 &&
      saved.y < d.y + d.height - 50 &&
      saved.y + saved.height > d.y,
  );
  return overlaps ? { x: saved.x, y: saved.y, width: saved.width, height: saved.height } : null;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const statePath = join(options.dataDir, 'window-state.json');
  let saved: WindowState | null;
  try {
    saved = WindowState.safeParse(readJsonFile(statePath)).data ?? null;
  } catch {
    saved = null; // an unreadable state file just means default placement
  }
  const bounds = saved
    ? visibleBounds(
        saved,
        screen.getAllDisplays().map((d) => d.workArea),
      )
    : null;

  const win = new BrowserWindow({
    ...(bounds ?? { width: 1440, height: 900 }),
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'TwinLedger',
    backgroundColor: windowBackground(options.theme),
    autoHideMenuBar: true,
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  });
  if (saved?.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());

  let timer: NodeJS.Timeout | null = null;
  const save = () => {
    if (win.isDestroyed() || win.isMinimized()) return;
    const b = win.getNormalBounds();
    const state: WindowState = { ...b, maximized: win.isMaximized() };
    try {
      writeFileDurably(statePath, JSON.stringify(state));
    } catch (error) {
      options.logger.warn(`could not save the window state: ${(error as Error).message}`);
    }
  };
  const saveSoon = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  win.on('resize', saveSoon);
  win.on('move', saveSoon);
  win.on('close', () => {
    if (timer) clearTimeout(timer);
    save();
  });

  void win.loadURL(options.location.url);
  return win;
}
