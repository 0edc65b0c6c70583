// The 3D viewport: owns a canvas and a ViewerWorld for its lifetime; shows a message if WebGL fails.
import { useEffect, useRef, useState } from 'react';
import { ViewerWorld } from '../viewer/world';

export function Viewport() {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [drawn, setDrawn] = useState(false);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    let world: ViewerWorld | null = null;
    try {
      world = new ViewerWorld(canvas, { firstFrame: () => setDrawn(true) });
    } catch (error) {
      setFailure(`The 3D view could not start: ${(error as Error).message}`);
    }
    return () => world?.dispose();
  }, []);

  return (
    <section className="viewport" aria-label="3D viewport">
      <canvas ref={canvasRef} className="viewport-canvas" data-testid="viewport-canvas" data-drawn={drawn} />
      {failure ? (
        <div className="viewport-message" role="alert">
          {failure}
        </div>
      ) : (
        <div className="viewport-hint">Drag to orbit · right-drag to pan · wheel to zoom</div>
      )}
    </section>
  );
}
