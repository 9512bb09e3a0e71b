import { defineConfig } from 'prisma/config'

// Used by the Prisma CLI (generate, studio). The app itself builds its own driver adapter
// in src/plugins/db.ts; DATABASE_URL here only matters for `npm run studio` on PostgreSQL.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/postgres' }
})
