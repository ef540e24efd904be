import type { JsonObject, JsonValue } from 'src/meta-simulator/meta-simulator.types';

import { GraphApiError } from './graph-api.error';

/** One entry of a `fields=` selection: `name`, `name.limit(n)`, `name{child,…}` (§1.8). */
export interface FieldSelection {
  name: string;
  limit?: number;
  children: FieldSelection[] | null;
}

/**
 * Parses Graph's field-expansion syntax, e.g. `name,phone_numbers.limit(5){display_phone_number}`.
 * Returns null for an absent or empty parameter, so callers fall back to the node's default fields.
 */
export function parseFields(raw: string | undefined): FieldSelection[] | null {
  if (raw === undefined || raw.trim() === '') {
    return null;
  }
  let index = 0;
  const fail = (): never => {
    throw GraphApiError.invalidParameter(
      `(#100) Syntax error "Expected end of string instead of "${raw.slice(index, index + 1)}"." at character ${index}: ${raw}`,
    );
  };

  const parseList = (): FieldSelection[] => {
    const list: FieldSelection[] = [];
    for (;;) {
      while (raw[index] === ' ') {
        index += 1;
      }
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(raw.slice(index));
      if (!match) {
        return fail();
      }
      index += match[0].length;
      const field: FieldSelection = { name: match[0], children: null };
      const limit = /^\.limit\((\d+)\)/.exec(raw.slice(index));
      if (limit) {
        field.limit = Number(limit[1]);
        index += limit[0].length;
      }
      if (raw[index] === '{') {
        index += 1;
        field.children = parseList();
        if (raw[index] !== '}') {
          fail();
        }
        index += 1;
      }
      list.push(field);
      while (raw[index] === ' ') {
        index += 1;
      }
      if (raw[index] !== ',') {
        return list;
      }
      index += 1;
    }
  };

  const fields = parseList();
  if (index !== raw.length) {
    fail();
  }
  return fields;
}

/** Selection for a list of plain names. */
export function selectionOf(names: readonly string[]): FieldSelection[] {
  return names.map((name) => ({ name, children: null }));
}

/**
 * Renders the selected fields of a node; fields without a value are left out. With `appendId`, `id` is added
 * when the selection did not ask for it, as Graph does for most nodes.
 */
export function renderNode(
  selection: FieldSelection[],
  value: (field: FieldSelection) => JsonValue | undefined,
  id: string,
  appendId: boolean,
): JsonObject {
  const node: JsonObject = {};
  for (const field of selection) {
    const rendered = value(field);
    if (rendered !== undefined) {
      node[field.name] = rendered;
    }
  }
  if (appendId && node.id === undefined) {
    node.id = id;
  }
  return node;
}
