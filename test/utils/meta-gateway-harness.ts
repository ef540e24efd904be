import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';

import type { MetaConfig } from 'config/meta.config';
import { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import type { FaultRule, SimRequestLogEntry } from 'src/meta-simulator/meta-simulator.types';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';

/*
 * The real Graph gateway, bound by MetaGatewayModule, talking HTTP to an in-process Meta simulator: what
 * the gateway's own specs (src/modules/meta-gateway/graph-api-meta-gateway*.spec.ts) share.
 */

export const APP_ID = '634974688087057';
export const APP_SECRET = 'contract-test-app-secret-9f3c1a';
export const SYSTEM_USER_TOKEN = 'EAAsystemuserContractTestToken0123456789';
export const MAX_RETRIES = 2;
/**
 * Short, so that hung calls fail fast, yet long enough that a simulator answering a busy machine (a CI runner
 * shared with other jobs) is not taken for a hung one.
 */
export const TIMEOUT_MS = 1_500;

/** The gateway and the simulator it talks to. */
export interface SimulatedGateway {
  simulator: MetaSimulator;
  sut: MetaGateway;
  meta: MetaConfig;
  /** Graph calls received by the simulator for a method and path (path without the version prefix). */
  requestsTo(method: string, path: string): SimRequestLogEntry[];
  fault(rule: FaultRule): void;
  /** A WABA named Lucky Shrub and a business token granted it. */
  newWaba(): { wabaId: string; token: string };
  /** Clears the simulator's faults and request log, and captures every log line into the returned list. */
  reset(): string[];
  close(): Promise<void>;
}

/** The `meta` config namespace of a gateway pointed at `origin`. */
export function gatewayMeta(origin: string, requestTimeoutMs = TIMEOUT_MS, systemUserToken = ''): MetaConfig {
  return {
    sandbox: true,
    appId: APP_ID,
    appSecret: APP_SECRET,
    graphApiBaseUrl: origin.replace(/\/+$/, ''),
    graphApiVersion: 'v25.0',
    webhookVerifyToken: 'verify',
    webhookCallbackUrl: null,
    systemUserToken,
    embeddedSignupConfigId: '',
    requestTimeoutMs,
    maxRetries: MAX_RETRIES,
  };
}

/** A gateway of its own (module and all) pointed at `origin`; close it when done. */
export async function gatewayFor(
  origin: string,
  requestTimeoutMs = TIMEOUT_MS,
): Promise<{ gateway: MetaGateway; close: () => Promise<void> }> {
  const meta = gatewayMeta(origin, requestTimeoutMs);
  const ref = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ meta })] }),
      MetaGatewayModule,
    ],
  }).compile();
  return { gateway: ref.get(MetaGateway), close: () => ref.close() };
}

/** Starts a simulator and a gateway bound to it by MetaGatewayModule. */
export async function startSimulatedGateway(): Promise<SimulatedGateway> {
  const simulator = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, systemUserToken: SYSTEM_USER_TOKEN });
  const meta = gatewayMeta(await simulator.start(0), TIMEOUT_MS, SYSTEM_USER_TOKEN);
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ meta })] }),
      MetaGatewayModule,
    ],
  }).compile();
  return {
    simulator,
    sut: moduleRef.get(MetaGateway),
    meta,
    requestsTo: (method, path) => simulator.requests.filter((entry) => entry.method === method && entry.path === path),
    fault: (rule) => simulator.injectFault(rule),
    newWaba: () => {
      const waba = simulator.createWaba({ name: 'Lucky Shrub' });
      const token = simulator.issueToken({ wabaIds: [waba.id], kind: 'business' });
      return { wabaId: waba.id, token };
    },
    reset: () => {
      simulator.clearFaults();
      simulator.clearRequests();
      return captureLogs();
    },
    close: async () => {
      await moduleRef.close();
      await simulator.stop();
    },
  };
}

/**
 * Registers the hooks of a suite run against a simulated gateway: started once before the suite (handed to
 * `onStart`) and closed after it; before each test the simulator's faults and request log are cleared and
 * log lines captured anew (handed to `onEach`); after each, mocks are restored. Returns the simulator
 * helpers, usable from the tests on.
 */
export function useSimulatedGateway(
  onStart: (graph: SimulatedGateway) => void,
  onEach: (logged: string[]) => void = () => undefined,
): Pick<SimulatedGateway, 'requestsTo' | 'fault' | 'newWaba'> {
  let graph: SimulatedGateway | undefined;
  beforeAll(async () => {
    graph = await startSimulatedGateway();
    onStart(graph);
  });
  afterAll(async () => {
    await graph?.close();
  });
  beforeEach(() => {
    onEach(started().reset());
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  const started = (): SimulatedGateway => {
    if (!graph) {
      throw new Error('the simulated gateway has not started');
    }
    return graph;
  };
  return {
    requestsTo: (method, path) => started().requestsTo(method, path),
    fault: (rule) => started().fault(rule),
    newWaba: () => started().newWaba(),
  };
}

/** Every line logged from now on, at any level, as text; `jest.restoreAllMocks()` stops the capture. */
export function captureLogs(): string[] {
  const logged: string[] = [];
  for (const level of ['log', 'debug', 'verbose', 'warn', 'error', 'fatal'] as const) {
    jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
    });
  }
  return logged;
}

/** The MetaGatewayException a call fails with; fails the test when it succeeds or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<MetaGatewayException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MetaGatewayException);
    return error as MetaGatewayException;
  }
  throw new Error('expected the call to fail');
}
