// Colours the viewer paints with when not showing authored materials: by IFC class (a fixed
// palette for the classes people look for, a stable hash for the rest) and by change kind.
import type { Rgba } from './batching';

export type ChangeKind = 'added' | 'modified' | 'removed';

const known: Record<string, Rgba> = {
  IfcWall: [0.86, 0.84, 0.8, 1],
  IfcWallStandardCase: [0.86, 0.84, 0.8, 1],
  IfcCurtainWall: [0.55, 0.75, 0.9, 0.6],
  IfcSlab: [0.62, 0.64, 0.68, 1],
  IfcRoof: [0.7, 0.36, 0.3, 1],
  IfcCovering: [0.78, 0.74, 0.62, 1],
  IfcBeam: [0.45, 0.55, 0.75, 1],
  IfcColumn: [0.4, 0.5, 0.7, 1],
  IfcMember: [0.55, 0.6, 0.72, 1],
  IfcPlate: [0.6, 0.66, 0.78, 1],
  IfcWindow: [0.45, 0.75, 0.95, 0.55],
  IfcDoor: [0.72, 0.5, 0.3, 1],
  IfcStair: [0.62, 0.56, 0.78, 1],
  IfcStairFlight: [0.62, 0.56, 0.78, 1],
  IfcRailing: [0.5, 0.5, 0.55, 1],
  IfcRamp: [0.62, 0.56, 0.78, 1],
  IfcFurnishingElement: [0.85, 0.65, 0.4, 1],
  IfcFurniture: [0.85, 0.65, 0.4, 1],
  IfcSpace: [0.5, 0.8, 0.6, 0.15],
  IfcOpeningElement: [0.9, 0.4, 0.9, 0.2],
  IfcFooting: [0.5, 0.46, 0.42, 1],
  IfcBuildingElementProxy: [0.75, 0.55, 0.75, 1],
  IfcFlowTerminal: [0.95, 0.8, 0.3, 1],
  IfcFlowSegment: [0.3, 0.75, 0.7, 1],
  IfcFlowFitting: [0.25, 0.65, 0.6, 1],
  IfcFlowController: [0.95, 0.55, 0.25, 1],
  IfcDistributionControlElement: [0.9, 0.35, 0.35, 1],
  IfcLightFixture: [1, 0.9, 0.45, 1],
  IfcElectricAppliance: [0.95, 0.6, 0.3, 1],
  IfcOutlet: [0.9, 0.75, 0.35, 1],
};

export function classColour(ifcClass: string): Rgba {
  const fixed = known[ifcClass];
  if (fixed) return fixed;
  let hash = 2166136261;
  for (let i = 0; i < ifcClass.length; i++) hash = Math.imul(hash ^ ifcClass.charCodeAt(i), 16777619);
  const hue = ((hash >>> 0) % 360) / 360;
  return [...hsl(hue, 0.45, 0.6), 1];
}

/** The swatch colour of a class as CSS, for legends. */
export function classColourCss(ifcClass: string): string {
  const [r, g, b] = classColour(ifcClass);
  return `rgb(${Math.round(r * 255)} ${Math.round(g * 255)} ${Math.round(b * 255)})`;
}

export const changeColours: Record<ChangeKind | 'unchanged', Rgba> = {
  added: [0.25, 0.78, 0.42, 1],
  modified: [0.98, 0.66, 0.12, 1],
  removed: [0.9, 0.3, 0.28, 0.35],
  unchanged: [0.62, 0.65, 0.7, 0.16],
};

export function changeColour(kind: ChangeKind | undefined): Rgba {
  return changeColours[kind ?? 'unchanged'];
}

/** Colour by status: the TwinLedger_Status of each element (none recorded: in service). */
export type StatusKind = 'in service' | 'out of service' | 'replaced';
export const statusColours: Record<StatusKind, Rgba> = {
  'in service': [0.55, 0.7, 0.6, 1],
  'out of service': [0.88, 0.24, 0.22, 1],
  replaced: [0.3, 0.52, 0.95, 1],
};

export function statusColour(status: StatusKind | undefined): Rgba {
  return statusColours[status ?? 'in service'];
}

export function rgbaCss([r, g, b]: Rgba): string {
  return `rgb(${Math.round(r * 255)} ${Math.round(g * 255)} ${Math.round(b * 255)})`;
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}
