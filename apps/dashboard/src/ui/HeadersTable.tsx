import { Table } from '@mantine/core';

/** A message's header fields, as text: names and values come from whoever wrote the mail. */
export function HeadersTable({ headers }: { headers: { name: string; value: string }[] }) {
  return (
    <Table.ScrollContainer minWidth={500}>
      <Table aria-label="Headers" fz="xs">
        <Table.Tbody>
          {headers.map((h, i) => (
            <Table.Tr key={i}>
              <Table.Th scope="row" style={{ verticalAlign: 'top', whiteSpace: 'nowrap' }}>
                {h.name}
              </Table.Th>
              <Table.Td style={{ wordBreak: 'break-all', fontFamily: 'monospace' }}>{h.value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
