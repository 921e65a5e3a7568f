// The console API's shapes, as the server (gridwork-server's console module
// and the core's types) sends them.

export type Role =
  | 'grid_worker'
  | 'village_secretary'
  | 'township_supervisor'
  | 'city_supervisor'
  | 'administrator';

export interface User {
  id: string;
  name: string;
  role: Role;
  phone: string | null;
  jurisdiction: string[];
}

export interface SessionInfo {
  user: User;
  csrf: string;
  expires_at: string;
}

export type CaseState =
  | 'reported'
  | 'filed'
  | 'dispatched'
  | 'in_progress'
  | 'resolved'
  | 'confirmed'
  | 'closed'
  | 'dismissed';

export interface CaseRow {
  id: string;
  title: string;
  priority: string;
  subcategory: string;
  severity: 'normal' | 'urgent' | 'critical';
  state: CaseState;
  grid_code: string;
  household_code: string | null;
  handler_id: string | null;
  reported_at: string;
  deadline: string;
  countdown_secs: number | null;
  countdown_label: string;
  escalation_level: number;
}

export interface TimelineEntry {
  seq: number;
  at: string;
  actor_name: string;
  actor_role: Role;
  kind: string;
  summary_zh: string;
  state_after: CaseState;
}

export interface RegionPath {
  city: string;
  township: string;
  village: string;
  grid: string;
}

export interface Case {
  id: string;
  title: string;
  description: string;
  state: CaseState;
  severity: string;
  path: RegionPath;
  household_code: string | null;
  handler_id: string | null;
  reporter_id: string;
  escalation_level: number;
  pending_extension: { days: number; reason: string; requested_by: string } | null;
}

export interface CaseDetail {
  case: Case;
  household_name: string | null;
  handler_name: string | null;
  reporter_name: string;
  timeline: TimelineEntry[];
  evidence: Evidence[];
  chain_break: { seq: number; reason: string } | null;
  countdown_secs: number | null;
  countdown_label: string;
}

export type ActionInput = 'note' | 'reason' | 'message' | 'handler' | 'days' | 'difficulty' | 'photos';

export interface ActionOffer {
  kind: string;
  label_zh: string;
  label_en: string;
  inputs: ActionInput[];
}

export interface FixOnMap {
  evidence_id: string;
  lat: number;
  lon: number;
  accuracy_m: number;
  mock: boolean;
}

export interface CaseScreen {
  detail: CaseDetail;
  actions: ActionOffer[];
  handlers: User[];
  /** The photos' fixes in the base map's datum, for drawing. */
  fixes: FixOnMap[];
}

/** Every refusal the server makes. */
export interface ErrorBody {
  code: string;
  reason: string;
  field?: string | null;
}

export interface DeviceInfo {
  device_id: string;
  user_id: string;
  name: string;
  activated_at: string;
  last_seen_at: string | null;
  revoked_at: string | null;
}

export interface ActivationCode {
  code: string;
  user_id: string;
  expires_at: string;
  /** The text phones scan. */
  qr: string;
}

export interface InboxItem {
  id: string;
  kind: 'escalated' | 'urged' | 'assigned' | 'extension_requested';
  case_id: string;
  level: number;
  critical: boolean;
  case_title: string;
  message: string;
  actor_name: string;
  created_at: string;
  read_at: string | null;
}

export interface Message {
  item: InboxItem;
  title_zh: string;
  title_en: string;
  body_zh: string;
  body_en: string;
}

export interface Inbox {
  unread: number;
  items: Message[];
}

export interface ImportReport {
  encoding: string;
  rows_read: number;
  imported: number;
  errors: { line: number; field: string; reason: string }[];
}

export type RegionLevel = 'city' | 'township' | 'village' | 'grid';

export interface RegionFigures {
  code: string;
  name: string;
  level: RegionLevel | null;
  grids: number;
  grids_with_worker: number;
  households: number;
  places: number;
  with_worker: number;
  visits_due: number;
  up_to_date: number;
  open_cases: number;
  open_with_owner: number;
  overdue: number;
  escalated: number;
}

export interface Count {
  key: string;
  count: number;
}

export interface Overview {
  at: string;
  region: RegionFigures;
  path: { code: string; name: string; level: RegionLevel }[];
  children: RegionFigures[];
  cases_by_priority: Count[];
  cases_by_state: Count[];
  cases_by_level: Count[];
  reported_by_day: { day: string; reported: number; escalated: number }[];
}

export interface Coverage {
  land_checked: boolean;
  grids_checked: number;
  villages_checked: number;
  villages_without_boundary: string[];
  gaps: { village_code: string; area_m2: number }[];
  overlaps: { grid_a: string; grid_b: string; area_m2: number }[];
}

export interface CaseBoard {
  rows: CaseRow[];
  total: number;
}

export interface Evidence {
  id: string;
  owner: { kind: 'visit'; visit_id: string } | { kind: 'case'; case_id: string; phase: 'report' | 'after' };
  media_type: string;
  taken_at: string;
  fix: { lat: number; lon: number; accuracy_m: number; provider: string; mock: boolean; at: string } | null;
  upload_state: 'waiting' | 'uploading' | 'stored' | 'failed';
}

export interface AuditEntry {
  at: string;
  actor_id: string;
  actor_name: string;
  kind: string;
  target: string;
  summary: string;
}

export interface Roster {
  /** The server's working day: assignments from it count today. */
  day: string;
  grids: {
    code: string;
    name: string;
    village_code: string;
    village_name: string;
    households: number;
    places: number;
    workers: { user_id: string; name: string; kind: 'primary' | 'backup' }[];
  }[];
  people: { user: User; grids: string[] }[];
}
