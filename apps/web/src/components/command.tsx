/** @module command — a shell command shown verbatim with a copy button. */
import { CopyButton } from './copy-button.js';

/** One command line, copyable. */
export function Command({ text, testId }: { text: string; testId: string }) {
  return (
    <div className="command">
      <pre data-testid={testId}>{text}</pre>
      <CopyButton text={text} testId={`${testId}-copy`} />
    </div>
  );
}
