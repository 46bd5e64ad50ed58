import { xml } from '@codemirror/lang-xml';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import CodeMirror, { EditorView } from '@uiw/react-codemirror';
import { useEffect, useMemo, useState } from 'react';

export interface SourceError {
  line: number;
  column?: number;
  message: string;
}

/**
 * The template source in CodeMirror, with the compiler's errors marked on
 * their lines. Loaded on its own (React.lazy) so the dashboard's first
 * screen does not carry the editor.
 */
export default function MjmlEditor({
  value,
  onChange,
  errors,
  label,
}: {
  value: string;
  onChange: (value: string) => void;
  errors: SourceError[];
  label: string;
}) {
  const [view, setView] = useState<EditorView | null>(null);
  const extensions = useMemo(
    () => [xml(), lintGutter(), EditorView.lineWrapping, EditorView.contentAttributes.of({ 'aria-label': label })],
    [label],
  );
  useEffect(() => {
    if (!view) return;
    const doc = view.state.doc;
    const diagnostics: Diagnostic[] = errors
      .filter((e) => e.line >= 1 && e.line <= doc.lines)
      .map((e) => {
        const line = doc.line(e.line);
        const from = Math.min(line.from + Math.max(0, (e.column ?? 1) - 1), line.to);
        return { from, to: Math.max(from, line.to), severity: 'error', message: e.message };
      });
    view.dispatch(setDiagnostics(view.state, diagnostics));
  }, [view, errors, value]);
  return (
    <CodeMirror
      value={value}
      onChange={onChange}
      onCreateEditor={setView}
      extensions={extensions}
      height="560px"
      basicSetup={{ foldGutter: true, highlightActiveLine: true }}
    />
  );
}
