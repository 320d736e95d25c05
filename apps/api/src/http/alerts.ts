/** @module http/alerts — alert rules, notification channels, deliveries and alerts (rules: domain/alerts). */
import { CreateRuleBody, UpdateChannelBody, UpdateRuleBody } from '@hostwire/protocol';
import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { parseOrThrow } from '../errors.js';
import { actorOf, param, requireSessionOrApiToken, route } from './middleware.js';

const AlertsQuery = z.object({ state: z.enum(['pending', 'firing', 'resolved']).optional() });

export function createAlertsRouter(ctx: AppContext): Router {
  const router = Router();
  const alerts = ctx.domain.alerts;
  const session = requireSessionOrApiToken(ctx);

  router.get(
    '/orgs/:orgId/alerts',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const orgId = param(req.params.orgId);
      await ctx.access.requireOrgRole(actor.userId, orgId, 'viewer');
      const { state } = parseOrThrow(AlertsQuery, req.query);
      res.json({ alerts: await alerts.list(actor, orgId, state) });
    }),
  );

  router.get(
    '/orgs/:orgId/alert-rules',
    session,
    route(async (req, res) => {
      res.json({ rules: await alerts.listRules(actorOf(req, res), param(req.params.orgId)) });
    }),
  );

  router.post(
    '/orgs/:orgId/alert-rules',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const orgId = param(req.params.orgId);
      // Authorization before validation: a non-member learns nothing from a 400.
      await ctx.access.requireOrgRole(actor.userId, orgId, 'admin');
      const body = parseOrThrow(CreateRuleBody, req.body);
      res.status(201).json({ rule: await alerts.createRule(actor, orgId, body) });
    }),
  );

  router.patch(
    '/alert-rules/:ruleId',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const ruleId = param(req.params.ruleId);
      await alerts.ruleAccess(actor, ruleId);
      const body = parseOrThrow(UpdateRuleBody, req.body);
      res.json({ rule: await alerts.updateRule(actor, ruleId, body) });
    }),
  );

  router.delete(
    '/alert-rules/:ruleId',
    session,
    route(async (req, res) => {
      await alerts.deleteRule(actorOf(req, res), param(req.params.ruleId));
      res.status(204).end();
    }),
  );

  router.get(
    '/orgs/:orgId/notification-channels',
    session,
    route(async (req, res) => {
      res.json({ channels: await alerts.listChannels(actorOf(req, res), param(req.params.orgId)) });
    }),
  );

  router.post(
    '/orgs/:orgId/notification-channels',
    session,
    route(async (req, res) => {
      res.status(201).json(await alerts.createChannel(actorOf(req, res), param(req.params.orgId), req.body));
    }),
  );

  router.patch(
    '/notification-channels/:channelId',
    session,
    route(async (req, res) => {
      const actor = actorOf(req, res);
      const channelId = param(req.params.channelId);
      await alerts.channelAccess(actor, channelId);
      const body = parseOrThrow(UpdateChannelBody, req.body);
      res.json(await alerts.updateChannel(actor, channelId, body));
    }),
  );

  router.delete(
    '/notification-channels/:channelId',
    session,
    route(async (req, res) => {
      await alerts.deleteChannel(actorOf(req, res), param(req.params.channelId));
      res.status(204).end();
    }),
  );

  router.post(
    '/notification-channels/:channelId/test',
    session,
    route(async (req, res) => {
      res
        .status(202)
        .json({ delivery: await alerts.testChannel(actorOf(req, res), param(req.params.channelId)) });
    }),
  );

  router.get(
    '/notification-channels/:channelId/deliveries',
    session,
    route(async (req, res) => {
      res.json({ deliveries: await alerts.deliveries(actorOf(req, res), param(req.params.channelId)) });
    }),
  );

  return router;
}
