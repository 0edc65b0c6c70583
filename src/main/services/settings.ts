// User settings: validated on every change, durable on disk before anyone is told of the change.
import { join } from 'node:path';
import { defaultSettings, Settings } from '../../shared/api';
import { AppError } from '../../shared/result';
import { readJsonFile, writeFileDurably } from './durable-file';
import type { EventBus } from './events';

export class SettingsService {
  private current: Settings;
  private readonly path: string;

  constructor(
    dataDir: string,
    private readonly bus: EventBus,
    private readonly warn: (message: string) => void = () => {},
  ) {
    this.path = join(dataDir, 'settings.json');
    this.current = this.load();
  }

  get(): Settings {
    return { ...this.current };
  }

  update(patch: Partial<Settings>): Settings {
    const next = Settings.safeParse({ ...this.current, ...patch });
    if (!next.success) throw new AppError('BAD_REQUEST', `Settings rejected: ${next.error.message}`);
    writeFileDurably(this.path, `${JSON.stringify(next.data, null, 2)}\n`);
    this.current = next.data;
    this.bus.emit('settings.changed', this.get());
    return this.get();
  }

  /** A missing file means defaults; a damaged one is set aside with a warning, never fatal. */
  private load(): Settings {
    let raw: unknown;
    try {
      raw = readJsonFile(this.path);
    } catch (error) {
      this.warn(`settings.json is unreadable (${(error as Error).message}); using defaults.`);
      return { ...defaultSettings };
    }
    if (raw === undefined) return { ...defaultSettings };
    // Keep what is valid, fall back per field for the rest (a field added by a newer version, a
    // value edited by hand).
    const merged: Record<string, unknown> = { ...defaultSettings };
    for (const key of Object.keys(defaultSettings) as (keyof Settings)[]) {
      const value = (raw as Record<string, unknown>)[key];
      const field = Settings.shape[key].safeParse(value);
      if (value !== undefined && field.success) merged[key] = field.data;
      else if (value !== undefined) this.warn(`settings.json: ignoring invalid ${key}.`);
    }
    return Settings.parse(merged);
  }
}
