import { Button, Group } from '@mantine/core';
import { useState } from 'react';

/**
 * Cursor paging as the API does it (`?cursor=` → `nextCursor`): the
 * cursors of the pages before this one are kept, so Previous needs no
 * offset and every page costs the same at a million rows.
 */
export function useCursorPages(resetKey: string) {
  const [state, setState] = useState<{ key: string; stack: (string | undefined)[] }>({
    key: resetKey,
    stack: [undefined],
  });
  const stack = state.key === resetKey ? state.stack : [undefined];
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    next: (cursor: string) => setState({ key: resetKey, stack: [...stack, cursor] }),
    previous: () => setState({ key: resetKey, stack: stack.slice(0, -1) }),
  };
}

export function CursorPager({
  pages,
  nextCursor,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
}) {
  return (
    <Group justify="flex-end" gap="xs">
      <Button variant="default" size="xs" disabled={pages.page === 1} onClick={pages.previous}>
        Previous
      </Button>
      <Button variant="default" size="xs" disabled={!nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>
        Next
      </Button>
    </Group>
  );
}
