// The highlighter part: draws hover and selection as overlay meshes built from the elements' own
// triangles, pulled towards the camera (zOffset) so they sit on top of the model's surfaces.
import { Mesh } from '@babylonjs/core/Meshes/mesh';
import { VertexData } from '@babylonjs/core/Meshes/mesh.vertexData';
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial';
import { Color3 } from '@babylonjs/core/Maths/math.color';
import type { Scene } from '@babylonjs/core/scene';
import { elementSoup, type BatchedScene } from './batching';
import type { SceneTheme } from './world';

export type HighlightStyle = 'hover' | 'selection';

type Style = { colour: Color3; alpha: number; zOffset: number };
// The selection is the same blue in both UI themes; the hover tint is darker on a light scene, where
// a pale wash over pale walls would not show.
const selection: Style = { colour: new Color3(0.22, 0.58, 1), alpha: 0.82, zOffset: -4 };
const styles: Record<SceneTheme, Record<HighlightStyle, Style>> = {
  dark: { hover: { colour: new Color3(0.75, 0.85, 1), alpha: 0.35, zOffset: -2 }, selection },
  light: { hover: { colour: new Color3(0.3, 0.55, 0.95), alpha: 0.35, zOffset: -2 }, selection },
};

export class Highlighter {
  private readonly overlays = new Map<HighlightStyle, Mesh>();
  private readonly materials = new Map<HighlightStyle, StandardMaterial>();
  private readonly current = new Map<HighlightStyle, string>();
  private theme: SceneTheme = 'dark';

  constructor(
    private readonly scene: Scene,
    private data: BatchedScene | null = null,
  ) {}

  /** Colours the overlays for the UI theme (the materials made so far too). */
  setTheme(theme: SceneTheme): void {
    this.theme = theme;
    for (const [style, material] of this.materials) paint(material, styles[theme][style]);
  }

  /** New geometry (after a re-batch): the overlays are rebuilt from it on the next `set`. */
  setData(data: BatchedScene | null): void {
    this.data = data;
    this.current.clear();
    for (const style of [...this.overlays.keys()]) this.clear(style);
  }

  set(style: HighlightStyle, elements: readonly number[]): void {
    const signature = elements.join(',');
    if (this.current.get(style) === signature) return;
    this.current.set(style, signature);
    this.clear(style, false);
    if (!this.data || elements.length === 0) return;
    const soup = elementSoup(this.data, elements);
    if (!soup) return;
    const mesh = new Mesh(`highlight-${style}`, this.scene);
    const vertexData = new VertexData();
    vertexData.positions = soup.positions;
    vertexData.normals = soup.normals;
    vertexData.indices = soup.indices;
    vertexData.applyToMesh(mesh, false);
    mesh.material = this.materialFor(style);
    mesh.isPickable = false;
    mesh.freezeWorldMatrix();
    this.overlays.set(style, mesh);
  }

  clear(style: HighlightStyle, forget = true): void {
    this.overlays.get(style)?.dispose(false, false);
    this.overlays.delete(style);
    if (forget) this.current.delete(style);
  }

  dispose(): void {
    for (const style of [...this.overlays.keys()]) this.clear(style);
    for (const material of this.materials.values()) material.dispose();
    this.materials.clear();
  }

  private materialFor(style: HighlightStyle): StandardMaterial {
    let material = this.materials.get(style);
    if (material) return material;
    material = new StandardMaterial(`highlight-${style}`, this.scene);
    paint(material, styles[this.theme][style]);
    material.specularColor = Color3.Black();
    material.backFaceCulling = false;
    material.twoSidedLighting = true;
    this.materials.set(style, material);
    return material;
  }
}

function paint(material: StandardMaterial, { colour, alpha, zOffset }: Style): void {
  material.diffuseColor = colour;
  material.emissiveColor = colour.scale(0.55);
  material.alpha = alpha;
  material.zOffset = zOffset;
}
