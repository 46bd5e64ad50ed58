import { Badge } from '@mantine/core';
import { type CampaignState, STATE_COLORS, stateLabel } from './campaigns';

export function StateBadge({ state, size }: { state: CampaignState; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <Badge color={STATE_COLORS[state]} variant="light" size={size}>
      {stateLabel(state)}
    </Badge>
  );
}
