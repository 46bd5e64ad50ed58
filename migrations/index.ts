import { Foundation1764300000000 } from './1764300000000-Foundation.js';
import { Templates1764300300000 } from './1764300300000-Templates.js';
import { Segments1764300400000 } from './1764300400000-Segments.js';
import { ImportLanes1764300500000 } from './1764300500000-ImportLanes.js';
import { ContactSuffixScan1764300600000 } from './1764300600000-ContactSuffixScan.js';
import { ImportUploads1764300750000 } from './1764300750000-ImportUploads.js';
import { UserManagement1764300800000 } from './1764300800000-UserManagement.js';
import { Campaigns1764301000000 } from './1764301000000-Campaigns.js';
import { Tracking1764301100000 } from './1764301100000-Tracking.js';
import { Signups1764301200000 } from './1764301200000-Signups.js';
import { Relay1764301300000 } from './1764301300000-Relay.js';
import { MessageCounts1764301350000 } from './1764301350000-MessageCounts.js';
import { Webhooks1764301400000 } from './1764301400000-Webhooks.js';
import { Inbound1764301500000 } from './1764301500000-Inbound.js';
import { EngagementIndexes1764301600000 } from './1764301600000-EngagementIndexes.js';
import { MessageTracking1764301800000 } from './1764301800000-MessageTracking.js';
import { CampaignGuardSince1764301900000 } from './1764301900000-CampaignGuardSince.js';
import { CampaignOnlyMessageIndexes1764302000000 } from './1764302000000-CampaignOnlyMessageIndexes.js';
import { SingleMessageContent1764302100000 } from './1764302100000-SingleMessageContent.js';
import { RelayRawLz41764302200000 } from './1764302200000-RelayRawLz4.js';

/**
 * Every migration, oldest first. Listed explicitly rather than globbed so the
 * same list runs from compiled JS and from TypeScript under the test runner.
 */
export const migrations = [
  Foundation1764300000000,
  Templates1764300300000,
  Segments1764300400000,
  ImportLanes1764300500000,
  ContactSuffixScan1764300600000,
  ImportUploads1764300750000,
  UserManagement1764300800000,
  Campaigns1764301000000,
  Tracking1764301100000,
  Signups1764301200000,
  Relay1764301300000,
  MessageCounts1764301350000,
  Webhooks1764301400000,
  Inbound1764301500000,
  EngagementIndexes1764301600000,
  MessageTracking1764301800000,
  CampaignGuardSince1764301900000,
  CampaignOnlyMessageIndexes1764302000000,
  SingleMessageContent1764302100000,
  RelayRawLz41764302200000,
];
