// @ts-check
'use strict';

/**
 * The @nestjs/swagger CLI plugin as a ts-jest AST transformer, so that tests build the same OpenAPI
 * document as `nest build` (see the contract tier in test/jest.config.ts). Plain JavaScript because
 * ts-jest requires transformers with Node's own loader.
 *
 * The plugin asks the type checker about the file it visits, so it is handed the language service's current
 * Program, the one being emitted, rather than the compiler's public `program`, which ts-jest takes once when
 * it creates the language service, before any file is added. Without a language service (isolatedModules
 * on) there is no type checker and the plugin cannot run: fail loudly rather than document less.
 */
const { before } = require('@nestjs/swagger/plugin');

module.exports = {
  name: 'nestjs-swagger-plugin',
  // Part of ts-jest's cache key: bump it when this file changes.
  version: 1,
  /**
   * @param {{ _languageService?: { getProgram(): import('typescript').Program | undefined } }} tsCompiler
   * @param {Record<string, unknown>} options the plugin options from nest-cli.json
   */
  factory(tsCompiler, options) {
    const languageService = tsCompiler._languageService;
    if (!languageService) {
      throw new Error('The Swagger plugin needs ts-jest’s language service: set isolatedModules to false');
    }
    return (/** @type {import('typescript').TransformationContext} */ context) =>
      (/** @type {import('typescript').SourceFile} */ sourceFile) => {
        const program = languageService.getProgram();
        if (!program) {
          throw new Error(`No TypeScript program to run the Swagger plugin on ${sourceFile.fileName}`);
        }
        return before(options, program)(context)(sourceFile);
      };
  },
};
