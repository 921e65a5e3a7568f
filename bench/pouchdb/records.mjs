// Records for the PouchDB baseline: a seeded generator shaped like Gridwork's
// own sync payloads, and a loader for records the lead exports from Gridwork.
//
//   node records.mjs pull 10000 [seed] > households.json
//   node records.mjs push 10000 [seed] > visits.json
//
// Pulled records mirror `Entity::Household` as the server sends it
// (core/src/sync/protocol.rs), with the household's members (`Member`)
// embedded, as a CouchDB design would keep them in one document.
// Pushed records mirror `OutboxEntry { operation: VisitRecorded { visit } }`
// (core/src/outbox.rs, core/src/visit.rs) with ~30 answers from the default
// household checklist (core/src/checklist/defaults/household.json).

import { readFileSync } from 'node:fs';

// mulberry32: small, fast, and the same sequence on every machine.
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  next.pick = (list) => list[Math.floor(next() * list.length)];
  next.bool = (p) => next() < p;
  next.hex = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(next() * 16).toString(16);
    return s;
  };
  return next;
}

// Same word lists as sim/src/names.rs.
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭',
  '何', '林', '罗', '高', '郑', '梁', '谢', '宋', '唐', '许', '邓', '冯', '韩', '曹', '曾', '彭', '萧', '蔡', '潘', '田'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '涛', '明', '超',
  '秀英', '华', '平', '刚', '桂英', '建国', '建华', '志强', '海燕', '玉兰', '春梅', '国庆', '小红', '文', '斌',
  '婷', '宇', '浩', '欣', '佳', '子涵', '梓萱', '俊杰', '淑珍', '凤英', '德明', '金花', '永福'];
const PLACE_PARTS = ['石', '岩', '龙', '凤', '塘', '坑', '坪', '岭', '湖', '溪', '田', '沙', '竹', '桥', '梅', '松',
  '横', '新', '大', '小', '东', '西', '南', '北', '上', '下', '黄', '白', '青', '金', '水', '山'];
const ROADS = ['路', '街', '巷', '里', '坊'];

const CITY = '440399';
const LON0 = 114.2;
const LAT0 = 22.6;
const PER_GRID = 300; // households per grid, as in the reference city
const T0 = Date.UTC(2026, 9, 1); // 2026-10-01

function place(r) {
  const a = r.pick(PLACE_PARTS);
  let b = r.pick(PLACE_PARTS);
  while (b === a) b = r.pick(PLACE_PARTS);
  return a + b;
}

function idNumber(r) {
  const y = r.int(1938, 2015);
  const m = String(r.int(1, 12)).padStart(2, '0');
  const d = String(r.int(1, 28)).padStart(2, '0');
  const first17 = `440307${y}${m}${d}${String(r.int(0, 999)).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * w[i];
  return first17 + '10X98765432'[sum % 11];
}

function phone(r) {
  return `1${r.pick(['3', '5', '7', '8', '9'])}${String(r.int(0, 999999999)).padStart(9, '0')}`;
}

function gridOf(i) {
  const g = Math.floor(i / PER_GRID);
  const township = String(1 + Math.floor(g / 60)).padStart(3, '0');
  const village = String(1 + (Math.floor(g / 3) % 20)).padStart(3, '0');
  const grid = String(1 + (g % 3)).padStart(2, '0');
  return { g, code: `${CITY}-${township}-${village}-${grid}` };
}

function iso(ms) {
  return new Date(ms).toISOString();
}

/** One household as Gridwork pulls it: ~500–800 bytes of JSON. */
export function household(i, r) {
  const { g, code: gridCode } = gridOf(i);
  const villageName = place(r) + (g % 4 === 3 ? '社区' : '村');
  const head = r.pick(SURNAMES) + r.pick(GIVEN);
  const code = `${gridCode}-H${String((i % PER_GRID) + 1).padStart(4, '0')}`;
  const tags = [];
  const roll = r();
  if (roll < 0.08) tags.push('elderly_alone');
  else if (roll < 0.13) tags.push('left_behind_child');
  if (r.bool(0.03)) tags.push('disabled');
  if (r.bool(0.01)) tags.push('key_person');
  const size = tags.includes('elderly_alone') ? 1 : r.int(1, 3);
  const members = [];
  for (let m = 0; m < size; m++) {
    const name = m === 0 ? head : m === 1 ? r.pick(SURNAMES) + r.pick(GIVEN) : head[0] + r.pick(GIVEN);
    members.push({
      id: `m-${r.hex(32)}`,
      household_code: code,
      name,
      relation: ['户主', '配偶', '子女'][Math.min(m, 2)],
      phone: m < 2 ? phone(r) : null,
      id_number: idNumber(r),
    });
  }
  return {
    kind: 'household',
    household: {
      code,
      grid_code: gridCode,
      kind: 'household',
      name: head,
      address: `${villageName}${place(r)}${r.pick(ROADS)}${(i % PER_GRID) + 1}号`,
      lat: Math.round((LAT0 + 0.3 * r()) * 1e7) / 1e7,
      lon: Math.round((LON0 + 0.4 * r()) * 1e7) / 1e7,
      tags,
    },
    last_visit_at: r.bool(0.7) ? iso(T0 - r.int(0, 90 * 86400) * 1000) : null,
    members,
  };
}

// Non-photo items of the default household checklist and plausible values.
const ITEMS = [
  ['ep.symptoms', 'choices', ['none']], ['ep.symptom_count', 'number', 0], ['ep.seen_doctor', 'yes_no', false],
  ['ep.travellers', 'choice', 'none'], ['ep.vaccination_help', 'yes_no', false], ['ep.standing_water', 'yes_no', false],
  ['ep.animal_deaths', 'yes_no', false], ['ws.gas_use', 'choice', 'lpg'], ['ws.gas_smell', 'yes_no', false],
  ['ws.gas_cylinder_hose', 'choices', ['ok']], ['ws.electrical', 'choices', ['ok']], ['ws.ebike_charging', 'choice', 'outdoor'],
  ['ws.fire_extinguisher', 'choice', 'in_date'], ['ws.escape_blocked', 'yes_no', false], ['ws.coal_stove', 'yes_no', false],
  ['ps.disputes', 'choices', ['none']], ['ps.dispute_escalating', 'yes_no', false], ['ps.domestic_violence', 'yes_no', false],
  ['ps.wage_arrears', 'yes_no', false], ['ps.petition_intent', 'yes_no', false], ['ps.mental_health_care', 'yes_no', false],
  ['ps.concern_notes', 'text', ''], ['ec.open_burning', 'yes_no', false], ['ec.illegal_dumping', 'yes_no', false],
  ['ec.sewage', 'choice', 'sewer'], ['ec.livestock_waste', 'choice', 'no_livestock'], ['ec.water_body', 'yes_no', false],
  ['ec.farmland_building', 'yes_no', false], ['rs.elderly_alone', 'choice', 'not_applicable'],
  ['rs.left_behind_child', 'choice', 'not_applicable'], ['rs.house_condition', 'choice', 'sound'],
  ['rs.self_built_business', 'yes_no', false], ['rs.geo_flood_hazard', 'choices', ['none']],
  ['rs.telecom_fraud', 'choice', 'none'], ['rs.other_needs', 'text', ''],
];
const NOTES = ['', '', '', '户主不在家，与配偶交谈。', '已提醒更换燃气软管。', '老人身体状况良好。', '已宣传防诈骗知识。'];

function uuidv7(ms, r) {
  const h = ms.toString(16).padStart(12, '0') + '7' + r.hex(3) + (8 + r.int(0, 3)).toString(16) + r.hex(15);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** One visit operation as a device pushes it: 30 answers, ~2.5 KB of JSON. */
export function visitOp(i, r, device = 'dev-0193a2b4c5d6') {
  const hh = i % 3000;
  const { code: gridCode } = gridOf(hh);
  const at = T0 + 8 * 3600e3 + i * 97e3 + r.int(0, 60e3);
  const opId = uuidv7(at, r);
  // 30 of the 35 answerable items: skip 5 at random.
  const skip = new Set();
  while (skip.size < ITEMS.length - 30) skip.add(r.int(0, ITEMS.length - 1));
  const answers = [];
  ITEMS.forEach(([code, type, safe], k) => {
    if (skip.has(k)) return;
    let value = safe;
    if (type === 'yes_no') value = r.bool(0.05);
    else if (type === 'number') value = r.bool(0.05) ? r.int(1, 3) : 0;
    else if (type === 'text') value = r.bool(0.2) ? r.pick(NOTES.slice(3)) : '';
    answers.push({ item_code: code, value: { type, value } });
  });
  const lat = Math.round((LAT0 + 0.3 * r()) * 1e7) / 1e7;
  const lon = Math.round((LON0 + 0.4 * r()) * 1e7) / 1e7;
  const acc = Math.round((3 + 25 * r()) * 10) / 10;
  return {
    seq: i + 1,
    op_id: opId,
    hlc: `${String(at).padStart(16, '0')}-${String(r.int(0, 3)).padStart(5, '0')}-${device}`,
    created_at: iso(at),
    operation: {
      op: 'visit_recorded',
      visit: {
        id: uuidv7(at, r),
        household_code: `${gridCode}-H${String((hh % PER_GRID) + 1).padStart(4, '0')}`,
        grid_code: gridCode,
        worker_id: `w-${gridCode}-1`,
        patrol_id: r.bool(0.5) ? uuidv7(at - 3600e3, r) : null,
        template_id: 'household',
        template_version: 1,
        answers,
        notes: r.pick(NOTES),
        at: iso(at),
        fix: { lat, lon, accuracy_m: acc, provider: r.pick(['gps', 'fused', 'network']), mock: false, at: iso(at - 5000) },
        verdict: {
          status: 'consistent',
          grid_position: 'inside',
          distance_to_grid_m: 0,
          distance_to_target_m: Math.round(40 * r() * 10) / 10,
          accuracy_m: acc,
          mock: false,
        },
      },
    },
  };
}

export function generate(kind, n, seed = 42) {
  const r = rng(kind === 'pull' ? seed : seed ^ 0x5bd1e995);
  const make = kind === 'pull' ? household : visitOp;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = make(i, r);
  return out;
}

/** Read records: a JSON array, an object holding one (`records`, `changes`,
 *  `ops`, `docs`), or newline-delimited JSON. */
export function loadRecords(file) {
  const text = readFileSync(file, 'utf8').trim();
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error(`${file}: not a JSON array: ${e.message}`);
    }
  }
  if (text.startsWith('{')) {
    try {
      const obj = JSON.parse(text);
      for (const key of ['records', 'changes', 'ops', 'docs']) {
        if (Array.isArray(obj[key])) return obj[key];
      }
      throw new Error(`${file}: an object without a records/changes/ops/docs array`);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      // Fall through: NDJSON whose first line is an object.
    }
  }
  return text.split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: ${e.message}`);
    }
  });
}

// Where a record's own id is likely to be, for a readable, stable _id.
function naturalId(rec) {
  if (typeof rec._id === 'string') return rec._id;
  const cands = [
    rec.op_id, rec.id,
    rec.entity && rec.entity.kind && rec.entity[rec.entity.kind] && (rec.entity[rec.entity.kind].code || rec.entity[rec.entity.kind].id),
    rec.kind && rec[rec.kind] && (rec[rec.kind].code || rec[rec.kind].id),
    rec.code,
  ];
  const kind = (rec.entity && rec.entity.kind) || rec.kind;
  for (const c of cands) {
    if (typeof c === 'string' && c) return kind ? `${kind}:${c}` : c;
  }
  return null;
}

/** Turn records into CouchDB documents: `_id` from the record (or its
 *  position), the record's fields unchanged. A record with other top-level
 *  `_` fields (which CouchDB refuses) is kept whole under `record`. */
export function toDocs(records, prefix) {
  const seen = new Set();
  let renamed = 0;
  const docs = records.map((rec, i) => {
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
      throw new Error(`record ${i} is not a JSON object`);
    }
    let id = naturalId(rec) || `${prefix}:${String(i).padStart(8, '0')}`;
    if (id.startsWith('_')) id = `${prefix}:${id}`;
    if (seen.has(id)) {
      id = `${id}#${i}`;
      renamed += 1;
    }
    seen.add(id);
    const bad = Object.keys(rec).some((k) => k.startsWith('_') && k !== '_id');
    const body = bad ? { record: rec } : Object.assign({}, rec);
    delete body._id;
    return Object.assign({ _id: id }, body);
  });
  return { docs, renamed };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [kind, n = '10000', seed = '42'] = process.argv.slice(2);
  if (kind !== 'pull' && kind !== 'push') {
    console.error('usage: node records.mjs pull|push [N] [seed] > records.json');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(generate(kind, Number(n), Number(seed))) + '\n');
}
