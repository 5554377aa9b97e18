"""The Bot API methods the simulator implements, one module per area.

Each module holds a mixin over :class:`~kooch.simulator.world.World`;
:class:`~kooch.simulator.state.SimulatorState` composes them, and its method table maps
each Bot API method name to its ``api_*`` implementation.

=============  ==============================================================
``bot``        getMe, logOut, close, commands, description, short description, name
``updates``    getUpdates (long polling), setWebhook, deleteWebhook, getWebhookInfo
``messages``   send*, copyMessage, forwardMessage, editMessage*, deleteMessage(s)
``files``      getFile, and the input files of sendPhoto/sendDocument
``callbacks``  answerCallbackQuery
``chats``      getChat, setChatTitle, setChatDescription, pin/unpin
``members``    getChatMemberCount, getChatMember, getChatAdministrators
``base``       the chat-access checks all of them share
=============  ==============================================================
"""

from .bot import BotMethods
from .callbacks import CallbackMethods
from .chats import ChatMethods
from .files import FileMethods
from .members import MemberMethods
from .messages import MessageMethods
from .updates import UpdateMethods

__all__ = [
    "BotMethods",
    "CallbackMethods",
    "ChatMethods",
    "FileMethods",
    "MemberMethods",
    "MessageMethods",
    "UpdateMethods",
]
