/**
 * The operator desk's Slack face: the {@link OperatorFace} the Slack adapter offers the desk
 * (`SlackAdapter.operatorFace()`). Operators' events, clicks and `/switchboard` commands come
 * in through the adapter's desk routes; the desk's stored calls (cards, transcripts, relays,
 * notices) go out as Web API calls; the App Home follows the queue.
 *
 * @module
 */
import type { OperatorFace } from '../../../src/desk/core';
import type { webApi } from '@slack/bolt';
import type { SlackDeskHandler, SlackDeskRoutes } from '../desk';
import { escapeMrkdwn } from '../render';
import { AppHome } from './home';
import { perform } from './performer';
import { handleSlackRequest } from './requests';

export { ACTION as DESK_ACTIONS, renderCard, renderHome, renderTranscript, transcriptLine } from './blocks';
export { parseResolveArgs } from './commands';
export { slackToPlain } from './requests';

/** What the face uses of the Slack adapter: its Web API client and its desk routes. */
export interface SlackDeskApp {
  readonly client: webApi.WebClient;
  onOperatorEvent(handler: SlackDeskHandler, routes?: SlackDeskRoutes): () => void;
}

/** The desk's face in Slack, on `slack`'s app and client. */
export function slackOperatorFace(slack: SlackDeskApp): OperatorFace {
  let home: AppHome | undefined;
  return {
    get client() {
      return slack.client;
    },
    serve(desk, teamChannels) {
      const view = new AppHome(desk);
      home = view;
      const unregister = slack.onOperatorEvent((request) => handleSlackRequest(desk, view, request), {
        channels: teamChannels,
      });
      return () => {
        unregister();
      };
    },
    perform: (desk, item) => perform(desk, item),
    refresh: () => home?.refresh(),
    stop: () => home?.stop(),
    escape: escapeMrkdwn,
  };
}
