// A window hook for benchmarks and tests (installed only with `?probe` in the URL): frame timing,
// draw calls, picking, the change colouring and ghosts, without reaching into Babylon from outside;
// `moveBy` drives the move gizmo as a drag would (the one thing it changes); `moveHandle` says where
// a real drag grabs it.
import type { TwinViewer } from './twin-viewer';

export interface ViewerProbe {
  stats(): ReturnType<TwinViewer['stats']> & { state: TwinViewer['state'] };
  /** Draws n frames back to back; answers the mean and median JavaScript time per frame. */
  renderFrames(n: number): { meanMs: number; medianMs: number };
  /** Element key under a canvas point (CSS pixels). */
  keyAt(x: number, y: number): string | null;
  /** Canvas points (CSS pixels) where an element is hit, on a coarse grid. */
  hitPoints(step: number): { x: number; y: number; key: string }[];
  /** The last completed load: counts and time to the first full frame. */
  lastLoad(): TwinViewer['lastLoad'];
  /** The scene's meshes with whether they are ready to draw. */
  meshes(): { name: string; ready: boolean; enabled: boolean }[];
  /** Element key → change kind while the view is coloured by changes (a review or a comparison). */
  changes(): Record<string, 'added' | 'modified' | 'removed'>;
  /** Element key → status (only those not in service) while the view is coloured by status. */
  statuses(): Record<string, 'in service' | 'out of service' | 'replaced'>;
  /** Element keys drawn as translucent ghosts (removed in the comparison). */
  ghosts(): string[];
  /** The orbit camera: angles, distance and target (to check what moved it). */
  camera(): { alpha: number; beta: number; radius: number; minZ: number; target: [number, number, number] };
  /** The element the move gizmo is on, or null. */
  moving(): string | null;
  /** Moves the gizmo's element by a translation (viewer axes, metres) and lets go. */
  moveBy(x: number, y: number, z: number): boolean;
  /** Where to grab the gizmo's arrow for an axis (CSS pixels) and its on-screen direction per metre. */
  moveHandle(axis: 'x' | 'y' | 'z'): { x: number; y: number; dx: number; dy: number } | null;
}

declare global {
  interface Window {
    __twinViewer?: ViewerProbe;
  }
}

export function installViewerProbe(viewer: TwinViewer): () => void {
  window.__twinViewer = {
    stats: () => ({ ...viewer.stats(), state: viewer.state }),
    renderFrames: (n) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) times.push(viewer.world.renderFrame());
      times.sort((a, b) => a - b);
      return { meanMs: times.reduce((s, t) => s + t, 0) / n, medianMs: times[Math.floor(n / 2)] ?? 0 };
    },
    keyAt: (x, y) => viewer.keyAt(x, y),
    changes: () => viewer.changeKinds(),
    statuses: () => viewer.statusKinds(),
    ghosts: () => viewer.ghostKeys(),
    moving: () => viewer.state.moving,
    camera: () => {
      const c = viewer.world.camera;
      return {
        alpha: c.alpha,
        beta: c.beta,
        radius: c.radius,
        minZ: c.minZ,
        target: [c.target.x, c.target.y, c.target.z],
      };
    },
    moveBy: (x, y, z) => viewer.nudgeMove([x, y, z]),
    moveHandle: (axis) => viewer.moveHandle(axis),
    lastLoad: () => viewer.lastLoad,
    meshes: () =>
      viewer.world.scene.meshes.map((m) => ({
        name: m.name,
        ready: m.isReady(true),
        enabled: m.isEnabled(),
      })),
    hitPoints: (step) => {
      const canvas = viewer.world.canvas;
      const out: { x: number; y: number; key: string }[] = [];
      for (let y = step / 2; y < canvas.clientHeight; y += step) {
        for (let x = step / 2; x < canvas.clientWidth; x += step) {
          const key = viewer.keyAt(x, y);
          if (key) out.push({ x, y, key });
        }
      }
      return out;
    },
  };
  return () => {
    delete window.__twinViewer;
  };
}
