// The picker part: turns pointer gestures on the canvas into element picks. A click (a press and
// release without dragging) picks; hovering picks at most every `hoverMs`, never while dragging.
import { Emitter } from './events';

export interface PickerEvents {
  picked: { element: number | null; additive: boolean };
  hovered: number | null;
}

/** Resolves canvas coordinates (CSS pixels) to an element index, or null. */
export type PickAt = (x: number, y: number) => number | null;

const CLICK_SLOP_PX = 4;

export class Picker {
  readonly events = new Emitter<PickerEvents>();
  private down: { x: number; y: number; button: number } | null = null;
  private hoverTimer: ReturnType<typeof setTimeout> | null = null;
  private lastHover: number | null = null;
  private pendingHover: { x: number; y: number } | null = null;
  enabled = true;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly pickAt: PickAt,
    private readonly hoverMs = 90,
  ) {
    canvas.addEventListener('pointerdown', this.onDown);
    canvas.addEventListener('pointerup', this.onUp);
    canvas.addEventListener('pointermove', this.onMove);
    canvas.addEventListener('pointerleave', this.onLeave);
  }

  dispose(): void {
    this.canvas.removeEventListener('pointerdown', this.onDown);
    this.canvas.removeEventListener('pointerup', this.onUp);
    this.canvas.removeEventListener('pointermove', this.onMove);
    this.canvas.removeEventListener('pointerleave', this.onLeave);
    if (this.hoverTimer) clearTimeout(this.hoverTimer);
    this.events.clear();
  }

  private readonly onDown = (e: PointerEvent) => {
    this.down = { x: e.offsetX, y: e.offsetY, button: e.button };
  };

  private readonly onUp = (e: PointerEvent) => {
    const down = this.down;
    this.down = null;
    if (!this.enabled || !down || down.button !== 0) return;
    if (Math.hypot(e.offsetX - down.x, e.offsetY - down.y) > CLICK_SLOP_PX) return;
    const element = this.pickAt(e.offsetX, e.offsetY);
    this.events.emit('picked', { element, additive: e.ctrlKey || e.metaKey || e.shiftKey });
  };

  private readonly onMove = (e: PointerEvent) => {
    if (!this.enabled || this.down || e.buttons !== 0) return;
    this.pendingHover = { x: e.offsetX, y: e.offsetY };
    if (this.hoverTimer) return;
    this.hoverTimer = setTimeout(() => {
      this.hoverTimer = null;
      const at = this.pendingHover;
      if (!at || this.down) return;
      this.setHover(this.pickAt(at.x, at.y));
    }, this.hoverMs);
  };

  private readonly onLeave = () => {
    this.pendingHover = null;
    this.setHover(null);
  };

  private setHover(element: number | null): void {
    if (element === this.lastHover) return;
    this.lastHover = element;
    this.events.emit('hovered', element);
  }
}
