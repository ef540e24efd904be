import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import contractShapes from 'test/fixtures/contract/response-shapes.json';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

/*
 * Checks the OpenAPI document the app serves at /docs-json, built as `nest build` builds it (the contract
 * tier runs the Swagger plugin, see test/jest.config.ts), against the response shapes of the REST
 * contract transcribed in test/fixtures/contract/response-shapes.json: every property the contract gives a
 * response must be in the schema of that operation's response, nested objects and arrays included.
 */

/** A shape of the contract (see the `$comment` of the fixture). */
type Shape = true | string | Shape[] | { [property: string]: Shape };

interface ContractOperation {
  status: number[];
  body: Shape;
}

/** The parts of an OpenAPI 3 schema the check reads. */
interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>
  >;
  components?: { schemas?: Record<string, Schema> };
}

/**
 * Contract operations this service does not serve yet; each is checked as soon as it is served (the test
 * fails until it leaves this list).
 */
const NOT_SERVED_YET = new Set<string>([]);

/**
 * Properties the contract documents that the service does not answer yet, by the contract type they belong
 * to (`WabaDetail.alerts`) or by `operation status property`. The test fails as soon as one of them is
 * documented, so that it leaves this list and stays checked.
 */
const KNOWN_GAPS = new Set<string>([]);

const operations = contractShapes.operations as Record<string, ContractOperation>;
const types = contractShapes.types as Record<string, Shape>;

/**
 * The schema behind `$ref`s, with the properties of every `allOf`/`oneOf`/`anyOf` branch merged (a
 * property documented in any branch is documented), and `items` of the first branch that has them.
 */
function flatten(schema: Schema | undefined, document: OpenApiDocument, seen = new Set<string>()): Schema {
  if (!schema) {
    return {};
  }
  if (schema.$ref) {
    if (seen.has(schema.$ref)) {
      return {};
    }
    const name = schema.$ref.replace('#/components/schemas/', '');
    return flatten(document.components?.schemas?.[name], document, new Set([...seen, schema.$ref]));
  }
  const branches = [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])].map((branch) =>
    flatten(branch, document, seen),
  );
  const merged: Schema = { ...schema, properties: { ...schema.properties } };
  for (const branch of branches) {
    merged.type ??= branch.type;
    merged.items ??= branch.items;
    Object.assign(merged.properties as Record<string, Schema>, branch.properties);
  }
  return merged;
}

/** A property of the contract missing from the schema: its path in the body, and in its named type if any. */
interface Missing {
  path: string;
  inType?: string;
}

/** The properties of `shape` that `schema` does not document (`data[].registration.error.code`). */
function missingProperties(
  shape: Shape,
  schema: Schema | undefined,
  document: OpenApiDocument,
  path: string,
  inType?: { name: string; path: string },
): Missing[] {
  const here = (property: string): Missing => ({
    path: path ? `${path}.${property}` : property,
    inType: inType ? `${inType.name}${inType.path}.${property}` : undefined,
  });
  if (shape === true) {
    return [];
  }
  if (typeof shape === 'string') {
    const name = shape.replace(/^@/, '');
    if (types[name] === undefined) {
      throw new Error(`The fixture refers to an unknown type ${shape}`);
    }
    return missingProperties(types[name], schema, document, path, { name, path: '' });
  }
  const resolved = flatten(schema, document);
  if (Array.isArray(shape)) {
    if (resolved.type !== 'array' || !resolved.items) {
      return [{ path: `${path || '(body)'} (not an array)`, inType: inType && `${inType.name}${inType.path}` }];
    }
    return missingProperties(
      shape[0],
      resolved.items,
      document,
      `${path}[]`,
      inType && { ...inType, path: `${inType.path}[]` },
    );
  }
  return Object.entries(shape).flatMap(([property, inner]) => {
    const propertySchema = resolved.properties?.[property];
    if (!propertySchema) {
      return [here(property)];
    }
    return missingProperties(
      inner,
      propertySchema,
      document,
      path ? `${path}.${property}` : property,
      inType && { ...inType, path: `${inType.path}.${property}` },
    );
  });
}

/** Every property the contract gives `key` that the document lacks, as `operation status property`. */
function missingFromOperation(key: string, document: OpenApiDocument): Array<{ gap: string; inType?: string }> {
  const [method, path] = key.split(' ');
  const operation = document.paths[path]?.[method.toLowerCase()];
  if (!operation) {
    return [{ gap: `${key} (not served)` }];
  }
  return operations[key].status.flatMap((status) => {
    const schema = operation.responses?.[String(status)]?.content?.['application/json']?.schema;
    if (!schema) {
      return [{ gap: `${key} ${status} (no JSON response documented)` }];
    }
    return missingProperties(operations[key].body, schema, document, '').map((missing) => ({
      gap: `${key} ${status} ${missing.path}`,
      inType: missing.inType,
    }));
  });
}

const isKnownGap = (missing: { gap: string; inType?: string }): boolean =>
  KNOWN_GAPS.has(missing.gap) || (missing.inType !== undefined && KNOWN_GAPS.has(missing.inType));

function dtoClassesOutsideDtoFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      return dtoClassesOutsideDtoFiles(path);
    }
    if (!entry.name.endsWith('.ts') || entry.name.endsWith('.dto.ts') || entry.name.endsWith('.spec.ts')) {
      return [];
    }
    const classes = [...readFileSync(path, 'utf8').matchAll(/^export class (\w+Dto)\b/gm)];
    return classes.map((match) => `${relative(process.cwd(), path)}: ${match[1]}`);
  });
}

describe('OpenAPI document against the API contract (contract)', () => {
  let sut: TestApp;
  let document: OpenApiDocument;

  beforeAll(async () => {
    sut = await createTestApp({ env: { META_SANDBOX: 'true' } });
    document = (await sut.http().get('/docs-json').expect(200)).body as OpenApiDocument;
  });

  afterAll(async () => {
    await sut.close();
  });

  const served = (key: string): boolean => {
    const [method, path] = key.split(' ');
    return document.paths[path]?.[method.toLowerCase()] !== undefined;
  };

  it('should be built with the Swagger plugin, as `nest build` builds it', () => {
    // The plugin turns TSDoc into descriptions; without it this property has none.
    const waba = flatten({ $ref: '#/components/schemas/WabaRowResponseDto' }, document);
    expect(waba.properties?.wabaId).toMatchObject({ description: "Meta's WABA ID." });
  });

  it('should declare every DTO in a *.dto.ts file, the only files the Swagger plugin reads', () => {
    expect(dtoClassesOutsideDtoFiles(join(__dirname, '..', '..', 'src'))).toEqual([]);
  });

  it.each(Object.keys(operations).filter((key) => !NOT_SERVED_YET.has(key)))(
    'should document every response property the contract gives %s',
    (key) => {
      const missing = missingFromOperation(key, document);
      expect(missing.filter((entry) => !isKnownGap(entry)).map((entry) => entry.gap)).toEqual([]);
    },
  );

  it('should still lack every known gap, so that a fixed one leaves the list and is checked', () => {
    const missing = Object.keys(operations)
      .filter((key) => !NOT_SERVED_YET.has(key))
      .flatMap((key) => missingFromOperation(key, document));
    const stillMissing = new Set(missing.flatMap((entry) => [entry.gap, entry.inType]));
    expect([...KNOWN_GAPS].filter((gap) => !stillMissing.has(gap))).toEqual([]);
  });

  it('should not yet serve the contract operations listed as not served, so that none goes unchecked', () => {
    expect([...NOT_SERVED_YET].filter((key) => !(key in operations))).toEqual([]);
    expect([...NOT_SERVED_YET].filter(served)).toEqual([]);
  });
});
