// Keys and modal dialogs. Esc closes a modal dialog wherever focus is (the page, a disabled button,
// the 3D view), not only while focus is inside it; with dialogs stacked, only the topmost (the last
// backdrop in the document) answers, and the Esc goes no further (the viewer does not also clear
// its selection, a tab does not also collapse). The page's own shortcuts (the viewer's F, H, X...,
// M to move, N for a work order, undo) wait while a dialog is open: isModalOpen.
import { useEffect, useRef, type RefObject } from 'react';

/** A modal dialog is open: page shortcuts stand still. */
export function isModalOpen(): boolean {
  return document.querySelector('.modal-backdrop') !== null;
}

export function useEscapeKey(
  backdrop: RefObject<HTMLElement | null>,
  onEscape: () => void,
  blocked = false,
): void {
  const latest = useRef({ onEscape, blocked });
  latest.current = { onEscape, blocked };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      const backdrops = document.querySelectorAll('.modal-backdrop');
      if (backdrops[backdrops.length - 1] !== backdrop.current) return;
      event.preventDefault();
      event.stopPropagation();
      if (!latest.current.blocked) latest.current.onEscape();
    };
    // Capture, on window: before the page's shortcuts and anything inside the dialog.
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [backdrop]);
}
