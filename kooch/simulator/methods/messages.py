"""Bot API methods that send, copy, forward, edit and delete messages.

Sending and editing go through the flood control of :mod:`kooch.simulator.faults`; edits that change
nothing fail with Telegram's "message is not modified".
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import bad_request
from ..faults import Faults
from ..models import JSONDict, SimChat, SimMessage
from ..params import validate_caption, validate_entities, validate_reply_markup, validate_text
from .files import FileMethods

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


class MessageMethods(FileMethods, Faults):
    """sendMessage, sendPhoto, sendDocument, sendChatAction, copyMessage, forwardMessage,
    editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage(s)."""

    # ------------------------------------------------------------------ helpers

    def _reply_target(self, chat: SimChat, params: JSONDict) -> SimMessage | None:
        reply_parameters = params.get("reply_parameters")
        allow_missing = bool(params.get("allow_sending_without_reply", False))
        message_id: Any = params.get("reply_to_message_id")
        if isinstance(reply_parameters, dict):
            message_id = reply_parameters.get("message_id")
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply", False))
            if reply_parameters.get("chat_id") not in (None, chat.id, f"@{chat.username}"):
                return None
        if message_id is None:
            return None
        message = chat.messages.get(int(message_id))
        if message is None or message.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return message

    @staticmethod
    def _link_preview(params: JSONDict) -> JSONDict | None:
        options = params.get("link_preview_options")
        if isinstance(options, dict):
            return options
        if params.get("disable_web_page_preview"):
            return {"is_disabled": True}
        return None

    def _editable_message(self, params: JSONDict) -> SimMessage:
        if "inline_message_id" in params and "chat_id" not in params:
            raise bad_request("message to edit not found")
        chat = self._resolve_chat(params)
        self._check_member(chat)
        if chat.is_channel and not chat.right("can_edit_messages"):
            raise bad_request("need administrator rights in the channel chat")
        message = chat.messages.get(self._require_message_id(params))
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    @staticmethod
    def _same_markup(new: JSONDict | None, current: JSONDict | None) -> bool:
        if current is not None and "inline_keyboard" not in current:
            current = None
        return new == current

    # ------------------------------------------------------------------ sending

    def api_send_message(self, params: JSONDict) -> Any:
        """sendMessage."""
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        parse_mode = params.get("parse_mode")
        text = validate_text(params.get("text"), parse_mode)
        entities = validate_entities(params.get("entities"))
        markup = validate_reply_markup(params.get("reply_markup"), styles=self.button_styles)
        reply_to = self._reply_target(chat, params)
        self._consume_rate(chat, edit=False, paid=self._paid(params))
        message = self._store_message(
            chat,
            sender=self.bot,
            from_bot=True,
            text=text,
            entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            link_preview_options=self._link_preview(params),
            reply_to=reply_to,
        )
        return message.to_dict()

    def _send_media(self, params: JSONDict, kind: str) -> Any:
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        parse_mode = params.get("parse_mode")
        sim_file = self._input_file(params, kind, kind)
        caption = validate_caption(params.get("caption"), parse_mode)
        caption_entities = validate_entities(params.get("caption_entities"))
        markup = validate_reply_markup(params.get("reply_markup"), styles=self.button_styles)
        reply_to = self._reply_target(chat, params)
        self._consume_rate(chat, edit=False, paid=self._paid(params))
        message = self._store_message(
            chat,
            sender=self.bot,
            from_bot=True,
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            photo=sim_file if kind == "photo" else None,
            document=sim_file if kind == "document" else None,
            reply_to=reply_to,
        )
        return message.to_dict()

    def api_send_photo(self, params: JSONDict) -> Any:
        """sendPhoto (upload, file_id or URL)."""
        return self._send_media(params, "photo")

    def api_send_document(self, params: JSONDict) -> Any:
        """sendDocument (upload, file_id or URL)."""
        return self._send_media(params, "document")

    def api_send_media_group(self, params: JSONDict) -> Any:
        """sendMediaGroup: 2 to 10 photos, videos (kept as documents) or documents, each with its
        caption; uploads named by ``attach://<name>``. Returns the messages, in order."""
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        media = params.get("media")
        if isinstance(media, str):
            try:
                media = json.loads(media)
            except ValueError as exc:
                raise bad_request("can't parse media JSON object") from exc
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("media must be a list of 2 to 10 items")
        messages = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "video", "document"):
                raise bad_request("wrong media type")
            kind = "photo" if item["type"] == "photo" else "document"
            sim_file = self._input_file({**params, "media": item.get("media")}, "media", kind)
            self._consume_rate(chat, edit=False)
            message = self._store_message(
                chat,
                sender=self.bot,
                from_bot=True,
                caption=validate_caption(item.get("caption"), None),
                photo=sim_file if kind == "photo" else None,
                document=sim_file if kind == "document" else None,
            )
            messages.append(message.to_dict())
        return messages

    def api_send_video(self, params: JSONDict) -> Any:
        """sendVideo: kept as a document (the simulator does not model video)."""
        params = dict(params)
        params["document"] = params.get("video")
        return self._send_media(params, "document")

    def api_send_chat_action(self, params: JSONDict) -> Any:
        """sendChatAction: only the access checks matter."""
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        if not params.get("action"):
            raise bad_request("action is empty")
        return True

    def _source_message(self, params: JSONDict, what: str) -> SimMessage:
        source_chat = self._resolve_chat(params, "from_chat_id")
        if source_chat.is_private:
            assert source_chat.user is not None
            if not source_chat.user.started:
                raise bad_request("chat not found")
        elif source_chat.bot_rights is None:
            raise bad_request(f"message to {what} not found")
        message = source_chat.messages.get(self._require_message_id(params))
        if message is None or message.deleted:
            raise bad_request(f"message to {what} not found")
        return message

    def api_copy_message(self, params: JSONDict) -> Any:
        """copyMessage: text/caption/media/markup copied, no link to the original."""
        source = self._source_message(params, "copy")
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        parse_mode = params.get("parse_mode")
        caption = source.caption
        caption_entities = source.caption_entities
        if "caption" in params:
            caption = validate_caption(params.get("caption"), parse_mode)
            caption_entities = validate_entities(params.get("caption_entities"))
        markup = source.reply_markup
        if "reply_markup" in params:
            markup = validate_reply_markup(params.get("reply_markup"), styles=self.button_styles)
        reply_to = self._reply_target(chat, params)
        self._consume_rate(chat, edit=False, paid=self._paid(params))
        message = self._store_message(
            chat,
            sender=self.bot,
            from_bot=True,
            text=source.text,
            entities=source.entities,
            caption=caption if (source.photo or source.document) else None,
            caption_entities=caption_entities if (source.photo or source.document) else None,
            reply_markup=markup,
            parse_mode=parse_mode,
            photo=source.photo,
            document=source.document,
            reply_to=reply_to,
        )
        return {"message_id": message.message_id}

    def api_forward_message(self, params: JSONDict) -> Any:
        """forwardMessage: the copy carries a ``forward_origin``."""
        source = self._source_message(params, "forward")
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        origin: JSONDict
        if source.chat.is_channel:
            origin = {
                "type": "channel",
                "chat": source.chat.to_dict(),
                "message_id": source.message_id,
                "date": source.date,
            }
        else:
            assert source.sender is not None
            origin = {"type": "user", "sender_user": source.sender.to_dict(), "date": source.date}
        self._consume_rate(chat, edit=False, paid=self._paid(params))
        message = self._store_message(
            chat,
            sender=self.bot,
            from_bot=True,
            text=source.text,
            entities=source.entities,
            caption=source.caption,
            caption_entities=source.caption_entities,
            photo=source.photo,
            document=source.document,
            forward_origin=origin,
        )
        return message.to_dict()

    # ------------------------------------------------------------------ editing

    def api_edit_message_text(self, params: JSONDict) -> Any:
        """editMessageText. Omitting reply_markup removes the inline keyboard, as on Telegram."""
        message = self._editable_message(params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        parse_mode = params.get("parse_mode")
        text = validate_text(params.get("text"), parse_mode)
        entities = validate_entities(params.get("entities"))
        markup = validate_reply_markup(
            params.get("reply_markup"), inline_only=True, styles=self.button_styles
        )
        if (
            text == message.text
            and (entities or None) == (message.entities or None)
            and self._same_markup(markup, message.reply_markup)
        ):
            raise bad_request(NOT_MODIFIED)
        self._consume_rate(message.chat, edit=True)
        self._record_edit(message, "editMessageText")
        message.text = text
        message.entities = entities
        message.parse_mode = parse_mode
        message.reply_markup = markup
        preview = self._link_preview(params)
        if preview is not None:
            message.link_preview_options = preview
        self._change_pulse.fire()
        return message.to_dict()

    def api_edit_message_caption(self, params: JSONDict) -> Any:
        """editMessageCaption."""
        message = self._editable_message(params)
        if message.photo is None and message.document is None:
            raise bad_request("there is no caption in the message to edit")
        parse_mode = params.get("parse_mode")
        caption = validate_caption(params.get("caption"), parse_mode)
        entities = validate_entities(params.get("caption_entities"))
        markup = validate_reply_markup(
            params.get("reply_markup"), inline_only=True, styles=self.button_styles
        )
        if (
            caption == message.caption
            and (entities or None) == (message.caption_entities or None)
            and self._same_markup(markup, message.reply_markup)
        ):
            raise bad_request(NOT_MODIFIED)
        self._consume_rate(message.chat, edit=True)
        self._record_edit(message, "editMessageCaption")
        message.caption = caption
        message.caption_entities = entities
        message.reply_markup = markup
        self._change_pulse.fire()
        return message.to_dict()

    def api_edit_message_reply_markup(self, params: JSONDict) -> Any:
        """editMessageReplyMarkup (no markup = remove the keyboard)."""
        message = self._editable_message(params)
        markup = validate_reply_markup(
            params.get("reply_markup"), inline_only=True, styles=self.button_styles
        )
        if self._same_markup(markup, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        self._consume_rate(message.chat, edit=True)
        self._record_edit(message, "editMessageReplyMarkup")
        message.reply_markup = markup
        self._change_pulse.fire()
        return message.to_dict()

    # ------------------------------------------------------------------ deleting

    def _deletable(self, chat: SimChat, message: SimMessage) -> bool:
        if chat.is_private:
            return True
        if chat.right("can_delete_messages"):
            return True
        if message.from_bot:
            return not chat.is_channel or chat.right("can_post_messages")
        return False

    def api_delete_message(self, params: JSONDict) -> Any:
        """deleteMessage: own posts, or anyone's with can_delete_messages."""
        chat = self._resolve_chat(params)
        self._check_member(chat)
        message = chat.messages.get(self._require_message_id(params))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if not self._deletable(chat, message):
            raise bad_request("message can't be deleted")
        self._mark_deleted(message)
        return True

    def api_delete_messages(self, params: JSONDict) -> Any:
        """deleteMessages: skips missing ones, fails only if none could be deleted."""
        chat = self._resolve_chat(params)
        self._check_member(chat)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids is invalid")
        deleted = 0
        for raw_id in ids:
            message = chat.messages.get(int(raw_id))
            if message is not None and not message.deleted and self._deletable(chat, message):
                self._mark_deleted(message)
                deleted += 1
        if deleted == 0:
            raise bad_request("message to delete not found")
        return True
