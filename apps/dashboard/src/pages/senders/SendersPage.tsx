import { Anchor, Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, useNavigate } from 'react-router';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';
import { useSenders } from '../campaigns/campaigns';
import { SenderForm } from './SenderForm';

export function SendersPage() {
  const senders = useSenders();
  const navigate = useNavigate();
  const [adding, addModal] = useDisclosure(false);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Senders</Title>
        <Button onClick={addModal.open}>Add sender</Button>
      </Group>
      {senders.isError && <ErrorAlert error={senders.error} />}
      {senders.isPending ? (
        <Loading label="Loading senders" />
      ) : senders.data?.length === 0 ? (
        <EmptyState title="No senders yet" action={<Button onClick={addModal.open}>Add a sender</Button>}>
          A sender is an SMTP server Herald sends through, with its From address, limits and DKIM key.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>From</Table.Th>
                <Table.Th>Limits</Table.Th>
                <Table.Th>DKIM</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {senders.data?.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/senders/${s.id}`}>
                      {s.name}
                    </Anchor>
                    {s.kind === 'sandbox' && (
                      <Badge ml="xs" variant="outline" size="sm">
                        sandbox
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{s.fromName ? `${s.fromName} <${s.fromEmail}>` : s.fromEmail}</Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {s.ratePerSecond}/s,{' '}
                      {s.dailyLimit === null ? 'no daily limit' : `${s.dailyLimit.toLocaleString()} a day`}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={s.hasDkimKey ? 'green' : 'gray'} variant="light">
                      {s.hasDkimKey ? s.dkimDomain : 'off'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={s.disabledReason ? 'red' : 'green'} variant="light">
                      {s.disabledReason ? 'out of service' : 'in service'}
                    </Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <SenderForm opened={adding} onClose={addModal.close} onSaved={(s) => navigate(`/senders/${s.id}`)} />
    </Stack>
  );
}
