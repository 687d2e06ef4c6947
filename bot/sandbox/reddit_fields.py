"""The fields Reddit sends for which the sandbox world holds no facts, with neutral values of Reddit's types.

Why a table: a client breaks on a missing key or a wrong type, not on a zero karma. Each table
lists every key of one kind of thing as reddit.com sent it (``tests/real_reddit/``), with its
JSON type kept (null stays null, ``[]`` stays a list, ``0.0`` stays a float); :mod:`bot.sandbox.things`
lays the world's facts (ids, authors, titles, media) over it. ``tests/test_sandbox_conformance.py``
holds the result against the recordings.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

#: A post (``t3``), as on a 2026 subreddit page (``post_hint``, ``preview``, ``url_overridden_by_dest``,
#: gallery and crosspost keys are added only where Reddit has them).
T3: Json = {
    'all_awardings': [], 'allow_live_comments': False, 'approved_at_utc': None, 'approved_by': None, 'archived':
    False, 'author': '', 'author_flair_background_color': None, 'author_flair_css_class': None,
    'author_flair_richtext': [], 'author_flair_template_id': None, 'author_flair_text': None,
    'author_flair_text_color': None, 'author_flair_type': 'text', 'author_fullname': '', 'author_is_blocked':
    False, 'author_patreon_flair': False, 'author_premium': False, 'awarders': [], 'banned_at_utc': None,
    'banned_by': None, 'can_gild': False, 'can_mod_post': False, 'category': None, 'clicked': False,
    'content_categories': None, 'contest_mode': False, 'created': 0.0, 'created_utc': 0.0, 'discussion_type':
    None, 'distinguished': None, 'domain': '', 'downs': 0, 'edited': False, 'gilded': 0, 'gildings': {}, 'hidden':
    False, 'hide_score': False, 'id': '', 'is_created_from_ads_ui': False, 'is_crosspostable': True, 'is_meta':
    False, 'is_original_content': False, 'is_reddit_media_domain': True, 'is_robot_indexable': True, 'is_self':
    False, 'is_video': False, 'likes': None, 'link_flair_background_color': '', 'link_flair_css_class': None,
    'link_flair_richtext': [], 'link_flair_text': None, 'link_flair_text_color': 'dark', 'link_flair_type':
    'text', 'locked': False, 'media': None, 'media_embed': {}, 'media_only': False, 'mod_note': None,
    'mod_reason_by': None, 'mod_reason_title': None, 'mod_reports': [], 'name': '', 'no_follow': False,
    'num_comments': 0, 'num_crossposts': 0, 'num_reports': None, 'over_18': False, 'permalink': '', 'pinned':
    False, 'pwls': 0, 'quarantine': False, 'removal_reason': None,
    'removed_by': None, 'removed_by_category': None, 'report_reasons': None, 'saved': False, 'score': 0,
    'secure_media': None, 'secure_media_embed': {}, 'selftext': '', 'selftext_html': None, 'send_replies': True,
    'spoiler': False, 'stickied': False, 'subreddit': '', 'subreddit_id': '', 'subreddit_name_prefixed': '',
    'subreddit_subscribers': 0, 'subreddit_type': 'public', 'suggested_sort': None, 'thumbnail': '',
    'thumbnail_height': 0, 'thumbnail_width': 0, 'title': '', 'top_awarded_type': None, 'total_awards_received':
    0, 'treatment_tags': [], 'ups': 0, 'upvote_ratio': 0.0, 'url': '', 
    'user_reports': [], 'view_count': None, 'visited': False, 'wls': 0,
}

#: A comment (``t1``), as in a 2026 user listing without the fields of :data:`T1_LISTING` (thread pages add ``depth``).
T1: Json = {
    'all_awardings': [], 'approved_at_utc': None, 'approved_by': None, 'archived': False, 'associated_award':
    None, 'author': '', 'author_flair_background_color': None, 'author_flair_css_class': None,
    'author_flair_richtext': [], 'author_flair_template_id': None, 'author_flair_text': None,
    'author_flair_text_color': None, 'author_flair_type': 'text', 'author_fullname': '', 'author_is_blocked':
    False, 'author_patreon_flair': False, 'author_premium': False, 'awarders': [], 'banned_at_utc': None,
    'banned_by': None, 'body': '', 'body_html': '', 'can_gild': False, 'can_mod_post': False, 'collapsed': False,
    'collapsed_because_crowd_control': None, 'collapsed_reason': None, 'collapsed_reason_code': None,
    'comment_type': None, 'controversiality': 0, 'created': 0.0, 'created_utc': 0.0, 'distinguished': None,
    'downs': 0, 'edited': False, 'gilded': 0, 'gildings': {}, 'id': '', 'is_submitter': False, 'likes':
    None, 'link_id': '', 'locked':
    False, 'mod_note': None, 'mod_reason_by': None, 'mod_reason_title': None, 'mod_reports':
    [], 'name': '', 'no_follow': False, 'num_reports': None, 'parent_id': '',
    'permalink': '', 'removal_reason': None, 'replies': '', 'report_reasons': None, 'saved':
    False, 'score': 0, 'score_hidden': False, 'send_replies': True, 'stickied': False, 'subreddit': '',
    'subreddit_id': '', 'subreddit_name_prefixed': '', 'subreddit_type': 'public', 'top_awarded_type': None,
    'total_awards_received': 0, 'treatment_tags': [], 'unrepliable_reason': None, 'ups': 0, 'user_reports': [],
}

#: What a comment has only in user listings (``/user/{name}/comments``): its post, in brief.
T1_LISTING: Json = {'link_author': '', 'link_permalink': '', 'link_title': '', 'link_url': '', 'num_comments': 0,
                    'over_18': False, 'quarantine': False}

#: A private message (``t4``) in the inbox (2025).
T4: Json = {
    'associated_awarding_id': None, 'author': '', 'author_fullname': '', 'body': '', 'body_html': '', 'context':
    '', 'created': 0.0, 'created_utc': 0.0, 'dest': '', 'distinguished': None, 'first_message': None,
    'first_message_name': None, 'id': '', 'likes': None, 'name': '', 'new': False, 'num_comments': None,
    'parent_id': None, 'replies': '', 'score': 0, 'subject': '', 'subreddit': None, 'subreddit_name_prefixed': None,
    'type': 'unknown', 'was_comment': False,
}

#: A comment reply as an inbox item (2025).
INBOX_T1: Json = {
    'associated_awarding_id': None, 'author': '', 'author_fullname': '', 'body': '', 'body_html': '', 'context':
    '', 'created': 0.0, 'created_utc': 0.0, 'dest': '', 'distinguished': None, 'first_message': None,
    'first_message_name': None, 'id': '', 'likes': None, 'link_title': '', 'name': '', 'new': False,
    'num_comments': 0, 'parent_id': '', 'replies': '', 'score': 0, 'subject': '', 'subreddit': '',
    'subreddit_name_prefixed': '', 'type': '', 'was_comment': True,
}

#: ``/api/v1/me``: the signed-in account (2025).
ME: Json = {
    'accept_followers': True, 'awardee_karma': 0, 'awarder_karma': 0, 'can_create_subreddit': True,
    'can_edit_name': False, 'coins': 0, 'comment_karma': 0, 'created': 0.0, 'created_utc': 0.0, 'features': {},
    'force_password_reset': False, 'gold_creddits': 0, 'gold_expiration': None, 'has_android_subscription': False,
    'has_external_account': False, 'has_gold_subscription': False, 'has_ios_subscription': False, 'has_mail':
    True, 'has_mod_mail': False, 'has_paypal_subscription': False, 'has_stripe_subscription': False,
    'has_subscribed': True, 'has_subscribed_to_premium': False, 'has_verified_email': True,
    'has_visited_new_profile': False, 'hide_from_robots': True, 'icon_img': '', 'id': '', 'in_beta': False,
    'in_chat': True, 'in_redesign_beta': False, 'inbox_count': 0, 'is_employee': False, 'is_gold': False,
    'is_mod': True, 'is_sponsor': False, 'is_suspended': False, 'link_karma': 0, 'linked_identities': [], 'name':
    '', 'new_modmail_exists': True, 'num_friends': 0, 'oauth_client_id': '', 'over_18': True, 'password_set':
    True, 'pref_autoplay': True, 'pref_clickgadget': 0, 'pref_geopopular': '', 'pref_nightmode': False,
    'pref_no_profanity': True, 'pref_show_presence': False, 'pref_show_snoovatar': False, 'pref_show_trending':
    False, 'pref_show_twitter': False, 'pref_top_karma_subreddits': False, 'pref_video_autoplay': True,
    'seen_give_award_tooltip': False, 'seen_layout_switch': False, 'seen_premium_adblock_modal': False,
    'seen_redesign_modal': True, 'seen_subreddit_chat_ftux': False, 'snoovatar_img': '', 'snoovatar_size': None,
    'subreddit': {}, 'suspension_expiration_utc': None, 'total_karma': 0, 'verified': True,
}

#: ``/user/{name}/about`` of another account (2025).
T2: Json = {
    'accept_chats': True, 'accept_followers': True, 'accept_pms': True, 'awardee_karma': 0, 'awarder_karma': 0,
    'comment_karma': 0, 'created': 0.0, 'created_utc': 0.0, 'has_subscribed': True, 'has_verified_email': True,
    'hide_from_robots': True, 'icon_img': '', 'id': '', 'is_blocked': False, 'is_employee': False, 'is_friend':
    False, 'is_gold': False, 'is_mod': True, 'link_karma': 0, 'name': '', 'pref_show_snoovatar': False,
    'snoovatar_img': '', 'snoovatar_size': None, 'subreddit': {}, 'total_karma': 0, 'verified': True,
}

#: ``/r/{name}/about`` as a subscriber (2020).
T5: Json = {
    'accounts_active': 0, 'accounts_active_is_fuzzed': False, 'active_user_count': 0, 'advertiser_category': '',
    'all_original_content': False, 'allow_chat_post_creation': False, 'allow_discovery': True, 'allow_galleries':
    False, 'allow_images': False, 'allow_polls': False, 'allow_videogifs': False, 'allow_videos': False,
    'banner_background_color': '', 'banner_background_image': '', 'banner_img': '', 'banner_size': None,
    'can_assign_link_flair': True, 'can_assign_user_flair': True, 'collapse_deleted_comments': False,
    'comment_score_hide_mins': 0, 'community_icon': '', 'created': 0.0, 'created_utc': 0.0, 'description': '',
    'description_html': '', 'disable_contributor_requests': False, 'display_name': 'redditdev',
    'display_name_prefixed': '', 'emojis_custom_size': None, 'emojis_enabled': False, 'free_form_reports': True,
    'has_menu_widget': True, 'header_img': '', 'header_size': [], 'header_title': '', 'hide_ads': False,
    'icon_img': '', 'icon_size': [], 'id': '', 'is_chat_post_feature_enabled': True, 'is_crosspostable_subreddit':
    True, 'is_enrolled_in_new_modmail': None, 'key_color': '', 'lang': 'en', 'link_flair_enabled': True,
    'link_flair_position': 'left', 'mobile_banner_image': '', 'name': '', 'notification_level': 'low',
    'original_content_tag_enabled': False, 'over18': False, 'primary_color': '', 'public_description': '',
    'public_description_html': '', 'public_traffic': False, 'quarantine': False, 'restrict_commenting': False,
    'restrict_posting': True, 'show_media': False, 'show_media_preview': False, 'spoilers_enabled': False,
    'submission_type': 'self', 'submit_link_label': '', 'submit_text': '', 'submit_text_html': '',
    'submit_text_label': '', 'subreddit_type': 'public', 'subscribers': 0, 'suggested_comment_sort': None,
    'title': '', 'url': '', 'user_can_flair_in_sr': True, 'user_flair_background_color': None,
    'user_flair_css_class': None, 'user_flair_enabled_in_sr': True, 'user_flair_position': 'right',
    'user_flair_richtext': [], 'user_flair_template_id': None, 'user_flair_text': None, 'user_flair_text_color':
    None, 'user_flair_type': 'text', 'user_has_favorited': False, 'user_is_banned': False, 'user_is_contributor':
    False, 'user_is_moderator': False, 'user_is_muted': False, 'user_is_subscriber': True,
    'user_sr_flair_enabled': True, 'user_sr_theme_enabled': True, 'whitelist_status': 'all_ads', 'wiki_enabled':
    True, 'wls': 0,
}
