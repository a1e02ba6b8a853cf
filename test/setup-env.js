// natural's storage modules call dotenv on require; keep them quiet in tests.
process.env.DOTENV_CONFIG_QUIET = 'true';
process.env.LOG_LEVEL = process.env.LOG_LEVEL || 'silent';
