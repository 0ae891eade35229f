import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Divider,
  Group,
  List,
  Loader,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../shared/api/client.ts';
import { useMe } from '../shared/api/session.ts';
import { useMoney } from '../shared/i18n/use-money.ts';
import {
  type AvailableReward,
  actionKey,
  createMember,
  isConnectionLost,
  lookUp,
  type Member,
  pointsQuery,
  postTicket,
  type Redemption,
  release,
  reserve,
  type Ticket,
  tillKeys,
  useMemberAtAGlance,
} from './api.ts';
import { TILL_NAMESPACE } from './i18n/index.ts';
import { LocationPicker, useTillLocation } from './location.tsx';
import { ScanDialog } from './scan-dialog.tsx';

/** A reward asked for on the order: by id, or by a coupon the member holds. */
type Requested = { label: string } & ({ rewardId: string } | { couponCode: string });

interface Line {
  id: number;
  sku: string;
  price: string;
}

interface Order {
  /** The order's id at the server: one redemption per order, and the ticket carries it. */
  documentNumber: string;
  lines: Line[];
  applied: Requested[];
  redemption: Redemption | null;
  ticket: Ticket | null;
}

/** What failed and how to run it again with the same idempotency keys. */
interface Failure {
  error: unknown;
  retry?: () => Promise<void>;
}

function newOrder(): Order {
  const stamp = Date.now().toString(36).toUpperCase();
  const random = actionKey('order').slice(-6).toUpperCase();
  return {
    documentNumber: `TILL-${stamp}-${random}`,
    lines: [{ id: 1, sku: '', price: '' }],
    applied: [],
    redemption: null,
    ticket: null,
  };
}

function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/**
 * The till: find the member in one step (typed, or a barcode scanner typing the card and Enter),
 * see them at a glance, apply rewards to the order and post the ticket. Every change the server
 * makes goes with an Idempotency-Key made once per cashier action, so a double tap or a retry
 * after a lost connection runs it once.
 */
export function TillPage() {
  const { t, i18n } = useTranslation(TILL_NAMESPACE);
  const me = useMe();
  const location = useTillLocation(me);
  const locationId = location.chosen;
  const client = useQueryClient();
  const online = useOnline();
  const money = useMoney();
  const searchRef = useRef<HTMLInputElement>(null);
  const busy = useRef(false);
  const [search, setSearch] = useState('');
  const [searching, setSearching] = useState(false);
  const [notFound, setNotFound] = useState<string | null>(null);
  const [joining, setJoining] = useState(false);
  const [member, setMember] = useState<Member | null>(null);
  const [order, setOrder] = useState<Order>(newOrder);
  const [pending, setPending] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [scanning, setScanning] = useState(false);

  const focusSearch = useCallback(() => {
    // After React has drawn the answer: the next scan or keystroke lands in the search box.
    requestAnimationFrame(() => searchRef.current?.focus());
  }, []);

  useEffect(() => {
    // A scanner typing while nothing has focus (after a tap on the background) still reaches the box.
    const onKey = (event: KeyboardEvent) => {
      if (document.activeElement && document.activeElement !== document.body) return;
      if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey)
        searchRef.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  /** Runs one cashier action once at a time; a failure keeps its retry (same keys) on screen. */
  const perform = useCallback(
    async (name: string, run: () => Promise<void>) => {
      if (busy.current) return;
      busy.current = true;
      setPending(name);
      setFailure(null);
      try {
        await run();
        focusSearch();
      } catch (error) {
        setFailure({ error, retry: () => perform(name, run) });
      } finally {
        busy.current = false;
        setPending(null);
      }
    },
    [focusSearch],
  );

  /** The next customer (or nobody yet): a fresh order, the search box empty. */
  const startWith = (found: Member | null) => {
    // Not while an action runs: its answer belongs to this order, and a ticket may be committing
    // the reservation that moving on would release.
    if (busy.current) return;
    // A reservation left on the last customer's open order gives its points back at once.
    if (order.redemption?.id && !order.ticket)
      void release(order.redemption.id, actionKey('abandon')).catch(() => undefined);
    setMember(found);
    setOrder(newOrder());
    setNotFound(null);
    setJoining(false);
    setSearch('');
  };

  /** Looks up what was typed, or what the camera read (the card number, as a scanner would type it). */
  const find = async (typed: string) => {
    const identifier = typed.trim();
    if (!identifier || searching) return;
    setSearching(true);
    setFailure(null);
    try {
      const found = await lookUp(identifier);
      if (found) startWith(found);
      else setNotFound(identifier);
    } catch (error) {
      setFailure({ error, retry: () => find(identifier) });
    } finally {
      setSearching(false);
      focusSearch();
    }
  };

  const nextCustomer = () => {
    startWith(null);
    focusSearch();
  };

  const applyRewards = (next: Requested[]) => {
    if (!member) return;
    const key = actionKey('apply');
    const current = order.redemption?.id;
    const lines = orderLines(order.lines, money.parse);
    void perform('apply', async () => {
      if (current) {
        await release(current, `${key}-release`);
        setOrder((o) => ({ ...o, applied: [], redemption: null }));
      }
      if (next.length === 0) return;
      const redemption = await reserve(
        {
          customerId: member.id,
          order: { documentNumber: order.documentNumber, ...(locationId ? { locationId } : {}), lines },
          rewards: next.map(({ label: _label, ...asked }) => asked),
        },
        `${key}-reserve`,
      );
      setOrder((o) => ({ ...o, applied: next, redemption }));
      // The held points leave the balance on screen too.
      await client.invalidateQueries({ queryKey: tillKeys.member(member.id) });
    });
  };

  const post = () => {
    if (!member) return;
    const key = actionKey('ticket');
    const lines = orderLines(order.lines, money.parse);
    const subtotal = lines.reduce((sum, line) => sum + line.total, 0);
    const discount = order.redemption?.totalDiscount ?? 0;
    void perform('ticket', async () => {
      const ticket = await postTicket(
        {
          documentNumber: order.documentNumber,
          ...(locationId ? { locationId } : {}),
          totals: { total: subtotal - discount },
          lines,
          customer: { customerId: member.id },
        },
        key,
      );
      setOrder((o) => ({ ...o, ticket }));
      await client.invalidateQueries({ queryKey: tillKeys.member(member.id) });
    });
  };

  return (
    <Stack gap="md" className="till">
      <Group justify="space-between" align="center">
        <Title order={1} size="h2">
          {t('title')}
        </Title>
        {location.choices.length > 1 && (
          // Not mid-order: the held rewards and the ticket belong to one location.
          <LocationPicker location={location} disabled={order.redemption !== null || pending !== null} />
        )}
        {!online && (
          <Badge color="red" size="xl" role="status">
            {t('connection.offline')}
          </Badge>
        )}
      </Group>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void find(search);
        }}
      >
        <Group align="flex-end" wrap="nowrap">
          <TextInput
            ref={searchRef}
            label={t('search.label')}
            placeholder={t('search.placeholder')}
            value={search}
            onChange={(event) => setSearch(event.currentTarget.value)}
            size="xl"
            style={{ flex: 1 }}
            autoFocus
            autoComplete="off"
            inputMode="search"
            data-testid="till-search"
          />
          <Button type="submit" size="xl" loading={searching}>
            {t('search.submit')}
          </Button>
          <Button size="xl" variant="light" onClick={() => setScanning(true)}>
            {t('scan.open')}
          </Button>
        </Group>
      </form>
      <ScanDialog
        opened={scanning}
        onClose={() => {
          setScanning(false);
          focusSearch();
        }}
        onScanned={(code) => {
          setScanning(false);
          setSearch(code);
          void find(code);
        }}
      />
      {failure && <FailureAlert failure={failure} pending={pending !== null} />}
      {notFound !== null && !joining && (
        <Alert color="yellow" title={t('search.notFound', { identifier: notFound })}>
          <Button size="lg" onClick={() => setJoining(true)}>
            {t('search.newMember')}
          </Button>
        </Alert>
      )}
      {joining && notFound !== null && (
        <JoinForm
          identifier={notFound}
          onCancel={() => {
            setJoining(false);
            focusSearch();
          }}
          onCreated={(created) => {
            startWith(created);
            focusSearch();
          }}
        />
      )}
      {member && (
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
          <MemberPanel
            member={member}
            locationId={locationId}
            language={i18n.language}
            applied={order.applied}
            canApply={!order.ticket && pending === null && orderLines(order.lines, money.parse).length > 0}
            onApply={(asked) => applyRewards([...order.applied, asked])}
            closable={pending === null}
            // Once the ticket is posted, the order's own "Next customer" is the one way on.
            onClose={order.ticket ? undefined : nextCustomer}
          />
          <OrderPanel
            order={order}
            pending={pending}
            onLines={(lines) => setOrder((o) => ({ ...o, lines }))}
            onUndo={(index) => applyRewards(order.applied.filter((_, i) => i !== index))}
            onPost={post}
            onNext={nextCustomer}
          />
        </SimpleGrid>
      )}
    </Stack>
  );
}

/** The order's lines as the API takes them: priced lines only, money in minor units. */
function orderLines(lines: Line[], parseMoney: (text: string) => number | null) {
  return lines.flatMap((line, index) => {
    const total = parseMoney(line.price);
    if (total === null) return [];
    const sku = line.sku.trim();
    return [{ lineId: String(index + 1), ...(sku ? { sku, name: sku } : {}), quantity: 1, total }];
  });
}

function FailureAlert({ failure, pending }: { failure: Failure; pending: boolean }) {
  const { t } = useTranslation(TILL_NAMESPACE);
  const lost = isConnectionLost(failure.error);
  const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
  return (
    <Alert
      color="red"
      variant="filled"
      role="alert"
      title={lost ? t('connection.lost') : message}
      data-testid="till-failure"
    >
      <Stack gap="sm">
        {lost && <Text>{t('connection.lostDetail')}</Text>}
        {failure.error instanceof ApiError &&
          failure.error.errors.map((error) => <Text key={error.path}>{error.message}</Text>)}
        {lost && failure.retry && (
          <Group>
            <Button
              size="lg"
              color="dark"
              variant="white"
              loading={pending}
              onClick={() => void failure.retry?.()}
            >
              {t('connection.retry')}
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

function JoinForm({
  identifier,
  onCancel,
  onCreated,
}: {
  identifier: string;
  onCancel: () => void;
  onCreated: (member: Member) => void;
}) {
  const { t } = useTranslation(TILL_NAMESPACE);
  const looksLikeEmail = identifier.includes('@');
  const [firstName, setFirstName] = useState('');
  const [phone, setPhone] = useState(looksLikeEmail ? '' : identifier);
  const [email, setEmail] = useState(looksLikeEmail ? identifier : '');
  // One key per submission: a double tap or a retry after a lost connection creates the member once.
  // Once the server has answered (a refusal is kept with its key), the corrected form needs a new one.
  const [key, setKey] = useState(() => actionKey('join'));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fieldErrors = error instanceof ApiError ? error.fieldErrors() : {};

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (saving) return;
    setSaving(true);
    setError(null);
    try {
      onCreated(
        await createMember(
          {
            ...(firstName.trim() ? { firstName: firstName.trim() } : {}),
            ...(phone.trim() ? { phone: phone.trim() } : {}),
            ...(email.trim() ? { email: email.trim() } : {}),
            source: 'till',
          },
          key,
        ),
      );
    } catch (caught) {
      setError(caught);
      if (!isConnectionLost(caught)) setKey(actionKey('join'));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card withBorder padding="lg" component="form" onSubmit={submit} aria-labelledby="till-join-title">
      <Stack>
        <Title order={2} size="h3" id="till-join-title">
          {t('join.title')}
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <TextInput
            size="lg"
            label={t('join.firstName')}
            value={firstName}
            onChange={(event) => setFirstName(event.currentTarget.value)}
            error={fieldErrors.firstName}
            autoFocus
            required
          />
          <TextInput
            size="lg"
            label={t('join.phone')}
            type="tel"
            value={phone}
            onChange={(event) => setPhone(event.currentTarget.value)}
            error={fieldErrors.phone}
          />
          <TextInput
            size="lg"
            label={t('join.email')}
            type="email"
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={fieldErrors.email}
          />
        </SimpleGrid>
        {error !== null && !(error instanceof ApiError && error.errors.length > 0) && (
          <Alert color="red" role="alert">
            {isConnectionLost(error)
              ? t('connection.lostDetail')
              : error instanceof Error
                ? error.message
                : String(error)}
          </Alert>
        )}
        <Group>
          <Button type="submit" size="lg" loading={saving} disabled={!phone.trim() && !email.trim()}>
            {t('join.submit')}
          </Button>
          <Button size="lg" variant="default" onClick={onCancel}>
            {t('join.cancel')}
          </Button>
          {!phone.trim() && !email.trim() && (
            <Text size="sm" c="dimmed">
              {t('join.needContact')}
            </Text>
          )}
        </Group>
      </Stack>
    </Card>
  );
}

function MemberPanel({
  member,
  locationId,
  language,
  applied,
  canApply,
  closable,
  onApply,
  onClose,
}: {
  member: Member;
  locationId: string | undefined;
  language: string;
  applied: Requested[];
  canApply: boolean;
  closable: boolean;
  onApply: (asked: Requested) => void;
  onClose: (() => void) | undefined;
}) {
  const { t } = useTranslation(TILL_NAMESPACE);
  const { points, tier, rewards } = useMemberAtAGlance(member.id, locationId, language);
  const number = new Intl.NumberFormat(language, { maximumFractionDigits: 2 });
  const name = [member.firstName, member.lastName].filter(Boolean).join(' ') || member.email || member.phone;
  const usable = rewards.data?.data.filter((item) => item.canRedeem) ?? [];
  const others = rewards.data?.data.filter((item) => !item.canRedeem) ?? [];
  const coupons =
    rewards.data?.data.flatMap((item) => item.coupons.map((coupon) => ({ item, coupon }))) ?? [];
  const isApplied = (asked: Partial<{ rewardId: string; couponCode: string }>) =>
    applied.some(
      (one) =>
        ('rewardId' in one && one.rewardId === asked.rewardId) ||
        ('couponCode' in one && one.couponCode === asked.couponCode),
    );

  return (
    <Card withBorder padding="lg" aria-labelledby="till-member-name" data-testid="till-member">
      <Stack gap="md">
        <Group justify="space-between" align="flex-start">
          <div>
            <Title order={2} size="h2" id="till-member-name">
              {name}
            </Title>
            <Text c="dimmed">{t('member.card', { number: member.loyaltyCardNumber })}</Text>
          </div>
          <Badge size="xl" variant="light" data-testid="till-tier">
            {tier.data?.tier?.name ?? t('member.noTier')}
          </Badge>
        </Group>
        <div>
          <Text fw={700}>{t('member.balances')}</Text>
          {points.isPending ? (
            <Loader size="sm" />
          ) : points.data && points.data.balances.length > 0 ? (
            <Group gap="lg" data-testid="till-balances">
              {points.data.balances.map((balance) => (
                <Text key={balance.pointType.id} size="xl" fw={700}>
                  {t('member.points', {
                    points: number.format(balance.active),
                    name: balance.pointType.name,
                  })}
                </Text>
              ))}
            </Group>
          ) : (
            <Text c="dimmed">{t('member.noBalance')}</Text>
          )}
        </div>
        <Divider />
        <Title order={3} size="h4">
          {t('rewards.title')}
        </Title>
        {rewards.isPending && <Loader size="sm" />}
        {rewards.data && rewards.data.data.length === 0 && <Text c="dimmed">{t('rewards.none')}</Text>}
        {usable.length > 0 && (
          <Stack gap="xs" data-testid="till-usable">
            <Text fw={700}>{t('rewards.usableNow')}</Text>
            {usable.map((item) => (
              <Group key={item.reward.id} justify="space-between" wrap="nowrap">
                <RewardName item={item} number={number} />
                {item.coupons.length === 0 && (
                  <Button
                    size="lg"
                    disabled={!canApply || isApplied({ rewardId: item.reward.id })}
                    onClick={() => onApply({ rewardId: item.reward.id, label: item.name })}
                    aria-label={`${t('rewards.apply')}: ${item.name}`}
                  >
                    {t('rewards.apply')}
                  </Button>
                )}
              </Group>
            ))}
          </Stack>
        )}
        <Stack gap="xs">
          <Text fw={700}>{t('rewards.coupons')}</Text>
          {coupons.length === 0 ? (
            <Text c="dimmed">{t('rewards.noCoupons')}</Text>
          ) : (
            coupons.map(({ item, coupon }) => (
              <Group key={coupon.id} justify="space-between" wrap="nowrap">
                <Text>
                  {item.name} · <code>{coupon.code}</code>
                </Text>
                <Button
                  size="lg"
                  variant="light"
                  disabled={!canApply || !item.canRedeem || isApplied({ couponCode: coupon.code })}
                  onClick={() => onApply({ couponCode: coupon.code, label: item.name })}
                >
                  {t('rewards.applyCoupon', { code: coupon.code })}
                </Button>
              </Group>
            ))
          )}
        </Stack>
        {others.length > 0 && (
          <Stack gap="xs" data-testid="till-not-now">
            <Text fw={700} c="dimmed">
              {t('rewards.notNow')}
            </Text>
            {others.map((item) => (
              <div key={item.reward.id}>
                <RewardName item={item} number={number} />
                <List size="sm" c="dimmed">
                  {item.reasons.map((reason) => (
                    <List.Item key={reason.code} title={reason.message}>
                      {t(`reasons.${reason.code}`, { defaultValue: reason.message })}
                    </List.Item>
                  ))}
                </List>
              </div>
            ))}
          </Stack>
        )}
        {onClose && (
          <Button size="lg" variant="default" onClick={onClose} disabled={!closable}>
            {t('member.close')}
          </Button>
        )}
      </Stack>
    </Card>
  );
}

function RewardName({ item, number }: { item: AvailableReward; number: Intl.NumberFormat }) {
  const { t } = useTranslation(TILL_NAMESPACE);
  return (
    <div>
      <Text fw={600} size="lg">
        {item.name}
      </Text>
      <Text size="sm" c="dimmed">
        {item.pointsRequired > 0
          ? t('rewards.cost', { points: number.format(item.pointsRequired) })
          : t('rewards.free')}
      </Text>
    </div>
  );
}

function OrderPanel({
  order,
  pending,
  onLines,
  onUndo,
  onPost,
  onNext,
}: {
  order: Order;
  pending: string | null;
  onLines: (lines: Line[]) => void;
  onUndo: (index: number) => void;
  onPost: () => void;
  onNext: () => void;
}) {
  const { t, i18n } = useTranslation(TILL_NAMESPACE);
  const number = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  const money = useMoney();
  const priced = orderLines(order.lines, money.parse);
  const subtotal = priced.reduce((sum, line) => sum + line.total, 0);
  const discount = order.redemption?.totalDiscount ?? 0;
  const locked = order.redemption !== null || order.ticket !== null;
  const setLine = (id: number, change: Partial<Line>) =>
    onLines(order.lines.map((line) => (line.id === id ? { ...line, ...change } : line)));
  const nextId = Math.max(0, ...order.lines.map((line) => line.id)) + 1;

  return (
    <Card withBorder padding="lg" aria-labelledby="till-order-title" data-testid="till-order">
      <Stack gap="md">
        <Title order={2} size="h3" id="till-order-title">
          {t('order.title')}
        </Title>
        {order.lines.map((line, index) => (
          <Group
            key={line.id}
            align="flex-end"
            wrap="nowrap"
            aria-label={t('order.line', { number: index + 1 })}
          >
            <TextInput
              size="lg"
              style={{ flex: 2 }}
              label={`${t('order.itemCode')} ${index + 1}`}
              value={line.sku}
              disabled={locked}
              onChange={(event) => setLine(line.id, { sku: event.currentTarget.value })}
            />
            <TextInput
              size="lg"
              style={{ flex: 1 }}
              label={`${t('order.price')} ${index + 1}`}
              inputMode="decimal"
              value={line.price}
              disabled={locked}
              error={line.price.trim() && money.parse(line.price) === null ? money.toInput(0) : undefined}
              onChange={(event) => setLine(line.id, { price: event.currentTarget.value })}
            />
            {order.lines.length > 1 && (
              <ActionIcon
                size={50}
                variant="default"
                disabled={locked}
                aria-label={t('order.removeItem', { number: index + 1 })}
                onClick={() => onLines(order.lines.filter((one) => one.id !== line.id))}
              >
                ×
              </ActionIcon>
            )}
          </Group>
        ))}
        <Group>
          <Button
            size="lg"
            variant="default"
            disabled={locked}
            onClick={() => onLines([...order.lines, { id: nextId, sku: '', price: '' }])}
          >
            {t('order.addItem')}
          </Button>
        </Group>
        {locked && !order.ticket && (
          <Text size="sm" c="dimmed">
            {t('order.locked')}
          </Text>
        )}
        {priced.length === 0 && (
          <Text size="sm" c="dimmed">
            {t('order.needItems')}
          </Text>
        )}
        {order.applied.length > 0 && (
          <Stack gap="xs" data-testid="till-applied">
            <Text fw={700}>{t('order.applied')}</Text>
            {order.applied.map((asked, index) => (
              <Group key={'rewardId' in asked ? asked.rewardId : asked.couponCode} justify="space-between">
                <Text>{asked.label}</Text>
                {!order.ticket && (
                  <Button
                    size="lg"
                    variant="default"
                    disabled={pending !== null}
                    onClick={() => onUndo(index)}
                    aria-label={`${t('order.undo')}: ${asked.label}`}
                  >
                    {t('order.undo')}
                  </Button>
                )}
              </Group>
            ))}
          </Stack>
        )}
        <Divider />
        <Group justify="space-between">
          <Text size="lg">{t('order.subtotal')}</Text>
          <Text size="lg">{money.format(subtotal)}</Text>
        </Group>
        <Group justify="space-between">
          <Text size="lg">{t('order.discount')}</Text>
          <Text size="lg" data-testid="till-discount">
            {money.format(-discount)}
          </Text>
        </Group>
        <Group justify="space-between">
          <Text size="xl" fw={700}>
            {t('order.total')}
          </Text>
          <Text size="xl" fw={700} data-testid="till-total">
            {money.format(subtotal - discount)}
          </Text>
        </Group>
        {order.ticket ? (
          <Alert
            color="teal"
            variant="filled"
            title={t('order.posted')}
            data-testid="till-posted"
            role="status"
          >
            <Stack gap="xs">
              <Text size="xl" fw={700}>
                {t('order.earned', { points: number.format(order.ticket.pointsEarned) })}
              </Text>
              {order.ticket.customerId && <NewBalance customerId={order.ticket.customerId} />}
              <Group>
                <Button size="lg" variant="white" color="dark" onClick={onNext}>
                  {t('order.next')}
                </Button>
              </Group>
            </Stack>
          </Alert>
        ) : (
          <Button
            size="xl"
            loading={pending === 'ticket'}
            disabled={priced.length === 0 || (pending !== null && pending !== 'ticket')}
            onClick={onPost}
          >
            {t('order.post')}
          </Button>
        )}
      </Stack>
    </Card>
  );
}

/** The balance after the ticket, read again from the server (the member panel shows it too). */
function NewBalance({ customerId }: { customerId: string }) {
  const { t, i18n } = useTranslation(TILL_NAMESPACE);
  const { data: points } = useQuery(pointsQuery(customerId));
  const number = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  if (!points) return null;
  const balance = points.balances
    .map((one) => `${number.format(one.active)} ${one.pointType.name}`)
    .join(' · ');
  return (
    <Text size="lg" data-testid="till-new-balance">
      {t('order.newBalance', { balance })}
    </Text>
  );
}
