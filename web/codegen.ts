// Typed GraphQL documents: every graphql(`…`) in src is validated against the SDL the silo
// prints (`./flowstate schema`, written to schema.graphql by the build), and gets its result and
// variable types. An operation that does not validate fails the build.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { Decimal: 'string', Date: 'string', DateTime: 'string', Long: 'number' },
        strictScalars: true,
      },
    },
  },
};
export default config;
