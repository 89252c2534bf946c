/**
 * Whether the Redis suites run, as decided once by test/global-setup.js. Use `describeRedis`
 * for any suite that needs a real Redis: it is skipped (with a loud warning from the global
 * setup) when none answers outside CI; under CI the global setup fails instead.
 */
export const redisAvailable = process.env.FOUR_OH_ONE_REDIS === '1';
export const redisUrl = process.env.REDIS_URL;

export const describeRedis: jest.Describe = redisAvailable ? describe : describe.skip;
