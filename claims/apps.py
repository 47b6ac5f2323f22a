from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims and matching"

    def ready(self) -> None:
        # The one place where claims follow what happens to texts: the texts layer sends its
        # signals without knowing who listens.
        from annotations.signals import article_processed, article_revised, sweeping
        from claims import receivers

        article_processed.connect(receivers.match_processed_article, dispatch_uid="claims-match")
        article_revised.connect(receivers.reanchor_revised_article, dispatch_uid="claims-anchor")
        sweeping.connect(receivers.match_stranded_claims, dispatch_uid="claims-sweep")
