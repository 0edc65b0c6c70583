// Toasts: short confirmations and failures with readable reasons, newest last.
import { useWorkspace } from '../workspace';

export function Toasts() {
  const { toasts, dismissToast } = useWorkspace();
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>{t.text}</span>
          <button className="icon-button" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
