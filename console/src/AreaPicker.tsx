// Choose an area by drilling down (township → village → grid, from the
// top of the person's reach): each list holds the parts of the area chosen
// above it, as the overview names them. Gives the deepest code chosen.

import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { useWords } from './i18n';
import type { Overview, RegionLevel } from './types';

interface Part {
  code: string;
  name: string;
  level: RegionLevel | null;
}

export function AreaPicker({ onChange }: { onChange: (code: string) => void }) {
  const [w] = useWords();
  // levels[i]: the parts offered at depth i; chosen[i]: the code picked there.
  const [levels, setLevels] = useState<Part[][]>([]);
  const [chosen, setChosen] = useState<string[]>([]);

  const partsOf = (region: string | null) =>
    api
      .get<Overview>(region ? `/overview?region=${encodeURIComponent(region)}` : '/overview')
      .then((o) => o.children.map((c) => ({ code: c.code, name: c.name, level: c.level })))
      .catch(() => [] as Part[]);

  useEffect(() => {
    void partsOf(null).then((top) => setLevels(top.length ? [top] : []));
  }, []);

  async function pick(depth: number, code: string) {
    const path = [...chosen.slice(0, depth), ...(code ? [code] : [])];
    setChosen(path);
    onChange(path[path.length - 1] ?? '');
    const kept = levels.slice(0, depth + 1);
    if (code) {
      const below = await partsOf(code);
      if (below.length) kept.push(below);
    }
    setLevels(kept);
  }

  return (
    <>
      {levels.map((parts, depth) => {
        const level = parts[0]?.level;
        const label = level ? w.levelNames[level] : w.regionFilter;
        const id = `area-${depth}`;
        return (
          <span class="field-inline" key={depth}>
            <label for={id}>{label}</label>
            <select id={id} value={chosen[depth] ?? ''} onChange={(e) => void pick(depth, e.currentTarget.value)}>
              <option value="">{w.all}</option>
              {parts.map((p) => (
                <option value={p.code}>{p.name}</option>
              ))}
            </select>
          </span>
        );
      })}
    </>
  );
}
