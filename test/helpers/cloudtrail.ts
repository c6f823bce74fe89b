/** CloudTrail events and log files built in tests. */

/** A management event numbered `i` (eventName `Call<i>`, eventID `id-<i>`), with `extra` keys on top. */
export const ctEvent = (i: number, time = '2024-05-01T10:00:00Z', extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventVersion: '1.09',
  eventTime: time,
  eventName: `Call${i}`,
  eventSource: 'ec2.amazonaws.com',
  awsRegion: 'eu-west-1',
  eventID: `id-${i}`,
  recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
  sourceIPAddress: '192.0.2.1',
  ...extra,
});

/** A CloudTrail log file: `{"Records":[…]}`. */
export const trailOf = (events: unknown[]): string => JSON.stringify({ Records: events });
