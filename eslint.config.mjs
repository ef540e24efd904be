// @ts-check
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The module map, enforced with no-restricted-imports:
 * - a file in src/modules/<a>/ imports from another module src/modules/<b>/ only its public surface: its
 *   service, module, constants and exception files, its events/ and dto/, and the PORTS below; never its
 *   entities, repositories or other internals (the owning module alone writes its tables, others ask its
 *   service). Type-only imports count: the type of an entity is still the entity;
 * - src/common imports nothing from src/modules or src/meta-simulator;
 * - only the gateway (src/modules/meta-gateway) and the simulator import Graph's wire types (graph-api.types).
 * A flat-config override replaces the rule's options, so every block below carries the whole list of its
 * patterns, the absolute-imports one included (restrictedImports builds it).
 */

/** House style: absolute imports only (same-folder `./` imports are fine). */
const RELATIVE_IMPORTS = { group: ['../*', '../../*'], message: 'Use absolute imports (src/…, config/…, test/…).' };

const MODULES = readdirSync(join(import.meta.dirname, 'src/modules'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** What every module offers the others: paths inside the module, as regular expressions, without extension. */
const PUBLIC_SURFACE = ['[^/]+\\.(?:service|module|constants|exception|types)', 'events/.+', 'dto/.+'];

/** A module's public surface beyond PUBLIC_SURFACE: ports other modules use or implement. */
const PORTS = {
  // The Graph port, and the observer port MetricsModule implements (graph-api.types has a rule of its own).
  'meta-gateway': ['meta-gateway', 'meta-call-observer', 'meta-failure\\.problem', 'graph-api\\.types'],
  // How controllers and the app's guard authenticate and name the caller.
  organizations: ['auth\\.decorators', 'guards/.+', 'actor'],
  // Who changed something and how: every owner's change methods take these.
  audit: ['change-context'],
  // The re-sync rounds' observer port MetricsModule implements.
  sync: ['sync-round\\.observer'],
};

/**
 * An entity may import another module's entity for a relation (`@ManyToOne(() => Organization)`): MikroORM needs
 * the class. Only entities: the relation gives no other file the right to touch the entity.
 */
const RELATION = '[^/]+/[^/]+\\.entity';

/**
 * Imports that break the map today, file → imports: each goes as soon as the branch that removes it lands
 * (issue 12, "One owner per table"). Delete entries; do not add any (a new one means a missing public method
 * or event of the owner).
 */
const ALLOWED_FOR_NOW = {
};

// An entry that allows nothing any more would let the import come back unnoticed: say which to delete.
for (const [file, imports] of Object.entries(ALLOWED_FOR_NOW)) {
  const path = join(import.meta.dirname, file);
  const source = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const stale = imports.filter((specifier) => !source.includes(`'${specifier}'`));
  if (stale.length > 0) {
    throw new Error(`eslint.config.mjs: ${file} no longer imports ${stale.join(', ')}; delete it from ALLOWED_FOR_NOW`);
  }
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A lookahead that fails on exactly one of `specifiers`, to put at the start of a pattern's regex. */
const except = (specifiers) => (specifiers.length === 0 ? '' : `(?!(?:${specifiers.map(escapeRegExp).join('|')})$)`);

/**
 * The no-restricted-imports setting of a file: of the module `module` (src/modules/<module>/), of src/common
 * (`'common'`), of the simulator (`'meta-simulator'`) or of anything else (null); `allowed` are the
 * ALLOWED_FOR_NOW imports of the file, `entity` whether it is an entity (see RELATION).
 */
function restrictedImports(module, { allowed = [], entity = false } = {}) {
  const skip = except(allowed);
  const patterns = [RELATIVE_IMPORTS];
  if (module !== null && MODULES.includes(module)) {
    const open = [
      `[^/]+/(?:${PUBLIC_SURFACE.join('|')})`,
      ...Object.entries(PORTS).map(([owner, files]) => `${escapeRegExp(owner)}/(?:${files.join('|')})`),
      ...(entity ? [RELATION] : []),
    ];
    patterns.push({
      regex: `^${skip}src/modules/(?!${escapeRegExp(module)}/)(?!(?:${open.join('|')})$)`,
      caseSensitive: true,
      message:
        "That is another module's internals (entity, repository, helper): use its service, module, constants, " +
        'exception, events/ or dto/ (the module map in eslint.config.mjs).',
    });
  }
  if (module === 'common') {
    patterns.push({
      regex: `^${skip}src/(?:modules|meta-simulator|bootstrap)/`,
      caseSensitive: true,
      message:
        'src/common is what the modules stand on: it imports nothing from src/modules, src/meta-simulator or the composition root (src/bootstrap).',
    });
  }
  // src/common's own pattern already covers the gateway's files.
  if (module !== 'meta-gateway' && module !== 'meta-simulator' && module !== 'common') {
    patterns.push({
      regex: `^${skip}src/.*graph-api\\.types$`,
      caseSensitive: true,
      message: "Graph's wire types stay in the gateway: use the port's (src/modules/meta-gateway/meta-gateway.types).",
    });
  }
  return ['error', { patterns }];
}

/** Which part of the tree a file belongs to, as restrictedImports names it. */
function areaOf(file) {
  const [, area, module] = /^src\/(?:(common|meta-simulator)\/|modules\/([^/]+)\/)/.exec(file) ?? [];
  return area ?? module ?? null;
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'eslint.config.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'warn',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/no-extraneous-class': 'off',
      curly: 'error',
      eqeqeq: ['error', 'always'],
      'object-shorthand': 'error',
      'no-console': 'error',
      'no-restricted-imports': restrictedImports(null),
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name='get'][callee.object.name=/config/i][arguments.length=1]",
          message: 'Read configuration with { infer: true }.',
        },
        {
          selector:
            "Decorator CallExpression[callee.name='Type'] > ArrowFunctionExpression > Identifier.body[name='Number']",
          message: "Number() reads '0x10', '1e1' and ' 10' as numbers; use @IsQueryInteger() (decimal digits only).",
        },
      ],
    },
  },
  {
    // Generated by `mikro-orm migration:create` and never edited once merged.
    files: ['migrations/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='it'][arguments.0.value=/^(?!should )/]",
          message: "Test titles start with 'should'.",
        },
      ],
    },
  },
  // The module map: one block per module, its entities, src/common and the simulator, then the allow-list
  // (last, so that it wins).
  ...[...MODULES.map((module) => `src/modules/${module}`), 'src/common', 'src/meta-simulator'].map((folder) => ({
    files: [`${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': restrictedImports(areaOf(`${folder}/`)) },
  })),
  ...MODULES.map((module) => ({
    files: [`src/modules/${module}/**/*.entity.ts`],
    rules: { 'no-restricted-imports': restrictedImports(module, { entity: true }) },
  })),
  ...Object.entries(ALLOWED_FOR_NOW).map(([file, allowed]) => ({
    files: [file],
    rules: {
      'no-restricted-imports': restrictedImports(areaOf(file), { allowed, entity: file.endsWith('.entity.ts') }),
    },
  })),
);
